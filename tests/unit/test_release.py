"""The release record and the version a rollback or a scale rolls out (module_utils/_release.py)."""
import pytest

from ansible_collections.pyfleet.wsgi.plugins.action.release import _tags
from ansible_collections.pyfleet.wsgi.plugins.module_utils import _release

ON_HOST = ["shop:v3", "shop:v2", "shop:v1", "python:3.12-slim"]


@pytest.mark.parametrize("named,running,history,expected", [
    ("", ["shop:v3"], ["shop:v1", "shop:v2", "shop:v3"], "shop:v2"),       # the one before in the history
    ("", ["shop:v3"], ["shop:v1", "shop:gone", "shop:v3"], "shop:v1"),     # one no longer on the host is skipped
    ("", ["shop:v3"], [], "shop:v2"),                                      # no history: the newest other version
    ("v1", ["shop:v3"], ["shop:v1", "shop:v2", "shop:v3"], "shop:v1"),     # a tag
    ("shop:v2", ["shop:v3"], [], "shop:v2"),                               # a full reference
])
def test_rollback_picks_the_version_to_return_to(named, running, history, expected):
    assert _release.choose("rollback", "web1", "shop", named, running, ON_HOST, history) == expected


def test_a_rollback_to_a_version_not_on_the_host_names_what_is_there():
    with pytest.raises(ValueError) as caught:
        _release.choose("rollback", "web1", "shop", "v9", ["shop:v3"], ON_HOST, [])
    assert str(caught.value) == (
        "pyfleet_rollback_to is \"v9\", but shop:v9 is not on web1. Versions there: shop:v3, shop:v2, shop:v1, "
        "python:3.12-slim; running: shop:v3. Name one of the versions with pyfleet_rollback_to.")


def test_a_rollback_with_nothing_earlier_is_refused():
    with pytest.raises(ValueError, match=r"^No earlier version of shop is on web1\. Versions there: shop:v3;"):
        _release.choose("rollback", "web1", "shop", "", ["shop:v3"], ["shop:v3"], ["shop:v3"])


@pytest.mark.parametrize("running,history,expected", [
    (["shop:v3", "shop:v3"], ["shop:v2", "shop:v3"], "shop:v3"),
    (["shop:v2", "shop:v3"], ["shop:v2"], "shop:v2"),             # half-way: the last one rolled out that runs
    (["shop:v2", "shop:v3"], [], "shop:v3"),
])
def test_scale_keeps_the_running_version(running, history, expected):
    assert _release.choose("scale", "web1", "shop", "", running, ON_HOST, history) == expected


def test_scale_with_nothing_running_says_to_deploy_first():
    with pytest.raises(ValueError, match="No member of shop runs on web1: deploy it first"):
        _release.choose("scale", "web1", "shop", "", [], ON_HOST, [])


def test_the_record_holds_the_version_its_context_and_the_batches():
    record = _release.record("shop", "deploy", "registry.example.com:5000/shop:3f2a1b9c", "/tmp/ctx", ["b:1"],
                             ["web1", "web2", "web3"], "50%")
    assert record == {"app": "shop", "action": "deploy", "image": "registry.example.com:5000/shop:3f2a1b9c",
                      "version": "3f2a1b9c", "context": "/tmp/ctx", "bases": ["b:1"],
                      "batches": [["web1", "web2"], ["web3"]], "direction": "forward",
                      "static": "registry.example.com:5000/shop:3f2a1b9c", "specs": {}, "stopped_by": [],
                      "rolled_out": "registry.example.com:5000/shop:3f2a1b9c"}
    assert _release.record("shop", "scale", "shop:v1", "", None, ["web1"], "1")["batches"] == [["web1"]]


@pytest.mark.parametrize("action,image,batch,message", [
    ("redeploy", "shop:v1", "1", 'pyfleet_rollout_action is "redeploy"'),
    ("deploy", "", "1", "no version to roll out"),
    ("deploy", "shop:v1", "0", "pyfleet_rollout_batch is '0'"),
])
def test_a_record_that_cannot_be_built_says_why(action, image, batch, message):
    with pytest.raises(ValueError, match=message):
        _release.record("shop", action, image, "", [], ["web1"], batch)


def test_images_are_listed_newest_first():
    images = [{"RepoTags": ["shop:old"], "Created": 100}, {"RepoTags": ["shop:new", "shop:latest"], "Created": 300},
              {"RepoTags": [], "Created": 200}]
    assert _tags(images) == ["shop:new", "shop:latest", "shop:old"]
