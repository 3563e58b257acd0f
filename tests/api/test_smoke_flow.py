"""The happy path, end to end through HTTP."""

from tests.helpers import ApiClient, Trio


def test_request_consent_and_both_opt_ins_connect_the_two(api: ApiClient, trio: Trio) -> None:
    created = api.request(trio)
    assert created.status_code == 201
    intro = created.json["id"]
    assert api.act(intro, "consent", trio.introducer, {"note": "Good people"}).status_code == 200
    assert api.act(intro, "opt-in", trio.target).json["state"] == "opting_in"
    final = api.act(intro, "opt-in", trio.requester)
    assert final.json["state"] == "connected"
    assert final.json["target"]["contact"]["email"].startswith("tia-")
