"""Marshmallow schemas: separate input (`*In`) and output (`*Out`) per resource."""
