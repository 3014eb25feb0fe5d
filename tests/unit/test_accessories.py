import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.filter import accessories as a

GROUPS = {"pyfleet_pool": ["web1", "web2"], "pyfleet_frontends": ["web1"], "pyfleet_accessories": ["db1"]}
HOSTVARS = {"db1": {"ansible_host": "10.0.0.9"}, "web1": {}, "web2": {}}


def test_postgres_on_its_own_host_is_reached_at_the_host_address():
    [db] = a.accessories([{"name": "db", "password": "p@ss/word"}], "shop", GROUPS, HOSTVARS, "pg:16")
    assert db["host"] == "db1" and db["container"] == "shop-db" and db["volume"] == "pyfleet-shop-db"
    assert db["image"] == "pg:16" and not db["local"]
    assert db["env"] == {"POSTGRES_USER": "shop", "POSTGRES_PASSWORD": "p@ss/word", "POSTGRES_DB": "shop"}
    # the password is quoted in the URL, plain in PGPASSWORD
    assert db["app_env"]["DATABASE_URL"] == "postgresql://shop:p%40ss%2Fword@10.0.0.9:5432/shop"
    assert db["app_env"]["PGPASSWORD"] == "p@ss/word" and db["app_env"]["PGHOST"] == "10.0.0.9"
    assert db["wait_target"] == "db=10.0.0.9:5432"


def test_an_accessory_on_the_only_pool_host_is_reached_by_name_on_the_app_network():
    groups = {"pyfleet_pool": ["one"], "pyfleet_accessories": ["one"]}
    [db] = a.accessories([{"name": "db", "password": "x", "host_port": 15432}], "my-app", groups, {"one": {}})
    assert db["local"] and db["target"] == "my-app-db" and db["target_port"] == 5432
    assert db["env"]["POSTGRES_USER"] == "my_app"
    assert db["app_env"]["DATABASE_URL"] == "postgresql://my_app:x@my-app-db:5432/my_app"


def test_custom_accessory_with_its_own_app_env_and_address():
    items = [{"name": "cache", "kind": "custom", "image": "redis:7", "port": 6379, "host_port": 16379,
              "app_env": {"REDIS_URL": "redis://{host}:{port}/0"}, "wait": False}]
    hostvars = {"db1": {"pyfleet_accessory_address": "192.168.1.4", "ansible_host": "db1.example.org"}}
    [cache] = a.accessories(items, "shop", GROUPS, hostvars)
    assert cache["app_env"] == {"REDIS_URL": "redis://192.168.1.4:16379/0"}
    assert cache["port"] == 16379 and cache["container_port"] == 6379 and not cache["wait"]
    assert a.accessory_env([cache]) == {"REDIS_URL": "redis://192.168.1.4:16379/0"}


@pytest.mark.parametrize("items,message", [
    ([{"name": "DB", "password": "x"}], "pyfleet_accessories[0].name is 'DB'"),
    ([{"name": "db", "password": "x"}, {"name": "db", "password": "y"}], "used twice"),
    ([{"name": "db"}], "has no password"),
    ([{"name": "db", "kind": "mysql", "password": "x"}], "kind is 'mysql': use one of postgres, custom"),
    ([{"name": "c", "kind": "custom"}], "has no image"),
    ([{"name": "db", "password": "x", "port": 70000}], "port is 70000"),
    ([{"name": "db", "password": "x", "host": "web9"}], "not in the inventory group pyfleet_accessories"),
    ({"name": "db"}, "give a list"),
])
def test_accessory_errors_name_the_variable_and_what_is_accepted(items, message):
    errors = a.accessory_errors(items, GROUPS)
    assert any(message in e for e in errors), errors


def test_no_accessory_host_is_an_error():
    errors = a.accessory_errors([{"name": "db", "password": "x"}], {"pyfleet_pool": ["web1"]})
    assert any("add a host to the inventory group pyfleet_accessories" in e for e in errors)


def test_dotenv_reads_env_files():
    text = '# comment\n\nexport A=1\nB="two words"\nC=\'single # kept\'\nD=x # trailing comment\nE=\n'
    assert a.dotenv(text) == {"A": "1", "B": "two words", "C": "single # kept", "D": "x", "E": ""}


def test_dotenv_names_the_bad_line():
    with pytest.raises(AnsibleFilterError, match="prod.env line 2 is not KEY=VALUE"):
        a.dotenv("A=1\nnot a pair\n", "prod.env")
