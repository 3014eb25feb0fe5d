from ansible_collections.pyfleet.wsgi.plugins.filter import status as s

NGINX = """
upstream app {
    server 10.0.0.2:8100 max_fails=3 fail_timeout=10s;  # shop-1 on app1
    server 172.30.4.11:3031 max_fails=3 fail_timeout=10s;  # shop-1 on lb1
}
server {
    listen 80;
"""
CADDY = """
	reverse_proxy {
		to 10.0.0.2:8100 10.0.0.3:8100 172.30.4.11:3031
		lb_policy round_robin
	}
"""


def test_upstreams_of_nginx_and_caddy_configs():
    assert s.config_upstreams(NGINX) == ["10.0.0.2:8100", "172.30.4.11:3031"]
    assert s.config_upstreams(CADDY) == ["10.0.0.2:8100", "10.0.0.3:8100", "172.30.4.11:3031"]
    assert s.config_upstreams("") == []


def test_rows_carry_the_counters_of_running_members():
    containers = [
        {"Id": "a", "Names": ["/shop-1"], "State": "running", "Status": "Up 2 minutes (healthy)",
         "Image": "shop:abc", "Labels": {"pyfleet.role": "pool", "pyfleet.version": "abc"}},
        {"Id": "b", "Names": ["/shop-frontend"], "State": "running", "Status": "Up 2 minutes",
         "Image": "pyfleet/nginx:bookworm", "Labels": {"pyfleet.role": "frontend"}},
        {"Id": "c", "Names": ["/shop-2"], "State": "exited", "Status": "Exited (0)",
         "Image": "shop:abc", "Labels": {"pyfleet.role": "pool"}},
    ]
    assert [c["Id"] for c in s.running_members(containers)] == ["a"]
    rows = s.status_rows(containers, [{"item": {"Id": "a"}, "stdout": '{"requests": 7, "busy": 1, "workers": 4}'},
                                      {"item": {"Id": "c"}, "stdout": ""}])
    assert [r["name"] for r in rows] == ["shop-frontend", "shop-1", "shop-2"]
    assert rows[1]["requests"] == 7 and rows[1]["version"] == "abc" and rows[2]["requests"] is None
    table = s.status_table("app1", rows, {"10.0.0.2:8100": "up"})
    assert table[0] == "app1" and "requests=7 busy=1/4" in table[2] and table[-1].split() == ["upstream", "10.0.0.2:8100", "up"]
