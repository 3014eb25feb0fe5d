"""The collection against a fleet of Docker hosts reached over SSH (scripts/fleet)."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import time

import pytest
import yaml

from conftest import ATTACK, ROOT, Result, http
from load import Load

STATE = pathlib.Path("/var/lib/pyfleet-fleet")
FLEET = str(ROOT / "scripts" / "fleet")
APP = "itfleet"
FRONTEND = "http://10.88.0.11:8080"
HOSTS = {"pfh1": "10.88.0.11", "pfh2": "10.88.0.12", "pfh3": "10.88.0.13", "pfh4": "10.88.0.14"}
APP_VARS = {
    "pyfleet_app_name": APP,
    "pyfleet_app_module": "webapp:app",
    "pyfleet_app_health_path": "/healthz",
    "pyfleet_pool_size": 2,
    "pyfleet_http_port": 8080,
    "pyfleet_image_builder_base": "pyfleet/python-builder:bookworm",
    "pyfleet_image_runtime_base": "pyfleet/python-runtime:bookworm",
    "pyfleet_frontend_image": "pyfleet/nginx:bookworm",
    "pyfleet_image_extra_ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
    "pyfleet_verify_max_deviation": 0.2,
}


def on(host, *args, check=True):
    """docker on one fleet host's own engine."""
    proc = subprocess.run(["docker", "-H", f"unix://{STATE}/hosts/{host}/docker.sock", *args],
                          capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker on {host}: {proc.stderr}")
    return proc.stdout.strip()


def deploy(tmp_path, pool, extra=None, app_src=None, args=()):
    inventory = {"all": {
        "hosts": {h: {"ansible_host": a} for h, a in HOSTS.items()},
        "children": {"pyfleet_frontends": {"hosts": {"pfh1": {}}},
                     "pyfleet_pool": {"hosts": {h: {} for h in pool}}},
        "vars": {
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(STATE / "id_ed25519"),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            "ansible_python_interpreter": "/usr/bin/python3",
            **APP_VARS,
            "pyfleet_app_src": str(app_src or ROOT / "examples" / "hello"),
            **(extra or {}),
        }}}
    inv = tmp_path / f"fleet-{time.monotonic_ns()}.yml"
    inv.write_text(yaml.safe_dump(inventory))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", str(inv),
                           str(ROOT / "deploy.yml"), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1200)
    return Result(proc)


def recaps(result):
    out = {}
    for line in result.output.splitlines():
        m = re.match(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", line)
        if m:
            out[m.group(1)] = {"changed": int(m.group(2)), "unreachable": int(m.group(3)), "failed": int(m.group(4))}
    return out


def member(host, index):
    """Name of the running container of member `index` on `host` (either slot)."""
    names = on(host, "ps", "--format", "{{.Names}}", "--filter", f"label=pyfleet.app={APP}",
               "--filter", "label=pyfleet.role=pool", "--filter", f"label=pyfleet.member={index}").split()
    assert len(names) == 1, (host, index, names)
    return names[0]


def member_port(host, index):
    """The host port that member `index` on `host` publishes."""
    return int(on(host, "port", member(host, index)).rsplit(":", 1)[1])


def app_version(tmp_path, greeting, extra=""):
    """The demo app saying `greeting`, with a /slow route (and `extra` code appended)."""
    app = tmp_path / greeting.replace(" ", "-").strip("!,")
    shutil.copytree(ROOT / "examples" / "hello", app)
    source = (app / "webapp.py").read_text().replace("Hello, World!", greeting)
    source += (
        "\n\n@app.get('/slow')\n"
        "def slow():\n"
        "    import time\n"
        "    from flask import request\n"
        "    time.sleep(float(request.args.get('s', '3')))\n"
        "    return 'slept in ' + socket.gethostname() + '\\n'\n"
    ) + extra
    (app / "webapp.py").write_text(source)
    return app


def members(count=40, base=FRONTEND):
    seen = {}
    for _ in range(count):
        status, _, body = http(base + "/")
        assert status == 200, body
        name = re.search(r"This is (\S+)", body).group(1)
        seen[name] = seen.get(name, 0) + 1
    return seen


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    up = subprocess.run([FLEET, "up", "4", "--frontends", "1"], capture_output=True, text=True, timeout=900)
    assert up.returncode == 0, up.stdout + up.stderr
    tmp = tmp_path_factory.mktemp("fleet")
    first = deploy(tmp, ["pfh2", "pfh3"])
    assert first.rc == 0, first.output[-5000:]
    yield {"tmp": tmp, "first": first}
    subprocess.run([FLEET, "down"], capture_output=True, timeout=600)


def test_deploy_balances_across_hosts_and_reruns_unchanged(fleet):
    seen = members(40)
    assert set(seen) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3")}
    assert all(v == 10 for v in seen.values()), seen
    again = deploy(fleet["tmp"], ["pfh2", "pfh3"])
    assert again.rc == 0, again.output[-4000:]
    # Nothing to do: every host checks in the first play, and the controller (localhost) has
    # nothing to build, so it may not appear at all.
    assert {h: r["changed"] for h, r in recaps(again).items() if h != "localhost"} == {"pfh1": 0, "pfh2": 0, "pfh3": 0}
    assert recaps(again).get("localhost", {"changed": 0})["changed"] == 0
    why = re.search(r"TASK \[Say why the deploy runs\] \*+\n(.*?)\n\n", again.output, re.S)
    assert why is None or "ok:" not in why.group(1), why.group(1)


def test_a_dry_run_on_the_fleet_shows_the_change_and_changes_nothing(fleet, tmp_path):
    def state():
        return {h: sorted(on(h, "ps", "-a", "--format", "{{.Names}} {{.ID}}").split("\n")) for h in ("pfh1", "pfh2", "pfh3")}

    conf = f"/etc/pyfleet/{APP}/frontend/nginx.conf"
    before, before_conf = state(), subprocess.run(
        ["ssh", "-i", str(STATE / "id_ed25519"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "root@10.88.0.11", "cat", conf], capture_output=True, text=True, timeout=60).stdout
    dry = deploy(fleet["tmp"], ["pfh2", "pfh3"], extra={"pyfleet_pool_size": 3}, args=("--check", "--diff"))
    assert dry.rc == 0, dry.output[-4000:]
    for host in ("pfh2", "pfh3"):
        assert f"would start {APP}-3 from" in dry.output and re.search(rf"\+\s+server \S+ .*# {APP}-3 on {host}", dry.output)
    after_conf = subprocess.run(
        ["ssh", "-i", str(STATE / "id_ed25519"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "root@10.88.0.11", "cat", conf], capture_output=True, text=True, timeout=60).stdout
    assert before_conf and after_conf == before_conf
    assert state() == before
    # A new version: nothing is built or shipped, the plan names the members it would start.
    images = {h: on(h, "image", "ls", "-q") for h in ("pfh2", "pfh3")}
    newer = deploy(fleet["tmp"], ["pfh2", "pfh3"], app_src=app_version(tmp_path, "Hello, dry run!"), args=("--check", "--diff"))
    assert newer.rc == 0, newer.output[-4000:]
    planned = re.findall(rf"would start {APP}-1-b,\s+{APP}-2-b\s+from\s+(\S+),\s+then\s+retire\s+{APP}-1,\s+{APP}-2\b",
                         newer.output)
    running = on("pfh2", "inspect", "-f", "{{.Config.Image}}", f"{APP}-1")
    assert len(planned) == 2 and planned[0].startswith(f"{APP}:") and planned[0] != running
    assert {h: on(h, "image", "ls", "-q") for h in ("pfh2", "pfh3")} == images
    assert state() == before
    assert set(members(40)) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3")}


def ssh(host, *command, check=True, timeout=60):
    proc = subprocess.run(["ssh", "-i", str(STATE / "id_ed25519"), "-o", "StrictHostKeyChecking=no",
                           "-o", "UserKnownHostsFile=/dev/null", "root@" + HOSTS[host], *command],
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"ssh {host} {command}: {proc.stdout}{proc.stderr}")
    return proc


def attack(source, target, port, extra):
    if source == "controller":
        proc = subprocess.run(["python3", "-c", ATTACK, target, str(port), json.dumps(extra)],
                              capture_output=True, text=True, timeout=30)
    else:
        proc = ssh(source, "python3", "-c", shlex_quote(ATTACK), target, str(port), shlex_quote(json.dumps(extra)))
    return proc.stdout.strip()


def shlex_quote(text):
    import shlex
    return shlex.quote(text)


def test_only_the_frontends_reach_the_members_and_magic_variables_run_nothing(fleet):
    port = member_port("pfh2", 1)
    plain = {}
    # The controller and a pool host that is no frontend cannot even connect.
    for source in ("controller", "pfh3"):
        answer = attack(source, HOSTS["pfh2"], port, plain)
        assert answer.startswith("refused:"), (source, answer)
    # The frontend host connects; the magic variables load nothing and run nothing.
    assert attack("pfh1", HOSTS["pfh2"], port, plain) == "HTTP/1.1 200 OK"
    for n, extra in enumerate([{"UWSGI_FILE": "exec://touch /tmp/pwned-{n}; echo", "UWSGI_APPID": "pwn"},
                               {"UWSGI_FILE": "exec://touch /tmp/pwned-{n}; echo", "SCRIPT_NAME": "/pwn"},
                               {"UWSGI_SCRIPT": "os", "UWSGI_CHDIR": "/tmp", "UWSGI_APPID": "pwn2"},
                               {"UWSGI_FILE": "exec://touch /tmp/pwned-{n}; echo"}]):
        extra = {k: v.replace("{n}", str(n)) for k, v in extra.items()}
        answer = attack("pfh1", HOSTS["pfh2"], port, extra)
        if "UWSGI_APPID" in extra or "SCRIPT_NAME" in extra:
            assert answer == "HTTP/1.1 500 Internal Server Error", (extra, answer)
        else:  # no other app named: this one answers; nothing was loaded
            assert answer == "HTTP/1.1 200 OK", (extra, answer)
    name = member("pfh2", 1)
    assert on("pfh2", "exec", name, "sh", "-c", "ls /tmp | grep -c pwned || true") == "0"
    logs = subprocess.run(["docker", "-H", f"unix://{STATE}/hosts/pfh2/docker.sock", "logs", name],
                          capture_output=True, text=True, timeout=60)
    assert "you cannot load more than 1 apps" in logs.stdout + logs.stderr
    # The rules are Docker's DOCKER-USER chain's, kept by the collection; traffic through
    # the frontend is unaffected.
    rules = ssh("pfh2", "iptables", "-w", "-S").stdout
    assert f"-A PYF-{APP}-pool -s 10.88.0.11/32 -j RETURN" in rules and f"-A PYF-{APP}-pool -j DROP" in rules, rules
    assert set(members(40)) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3")}


def test_a_failing_distribute_gives_the_deploy_lock_back(fleet, tmp_path):
    broken = deploy(fleet["tmp"], ["pfh2", "pfh3"], app_src=app_version(tmp_path, "Hello, unshipped!"),
                    extra={"pyfleet_image_distribution": "registry", "pyfleet_registry": "10.88.0.1:5999"})
    assert broken.rc != 0
    assert "TASK [Take the app's deploy lock on the first pool host]" in broken.output
    assert "TASK [Give the deploy lock back]" in broken.output, broken.output[-3000:]
    assert ssh("pfh2", "test", "-e", f"/etc/pyfleet/{APP}/deploy.lock", check=False).returncode == 1
    assert set(members(40)) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3")}


def test_each_version_is_built_once_and_shipped(fleet):
    ref = on("pfh2", "inspect", "-f", "{{.Config.Image}}", f"{APP}-1")
    controller_id = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", ref],
                                   capture_output=True, text=True, check=True).stdout.strip()
    for host in ("pfh1", "pfh2", "pfh3"):
        assert on(host, "image", "inspect", "-f", "{{.Id}}", ref) == controller_id, host
    # Nothing was built on the hosts: their engines hold no builder stage or base for it.
    for host in ("pfh2", "pfh3"):
        assert on(host, "image", "ls", "-q", "pyfleet/python-builder") == ""


def test_only_the_frontend_host_reuses_ports_of_closed_connections(fleet):
    # each host is a network namespace with the kernel's default (2: loopback only)
    reuse = {host: subprocess.run(["ip", "netns", "exec", host, "sysctl", "-n", "net.ipv4.tcp_tw_reuse"],
                                  capture_output=True, text=True, timeout=30).stdout.strip() for host in ("pfh1", "pfh2")}
    assert reuse == {"pfh1": "1", "pfh2": "2"}, reuse


def test_pool_ports_are_bound_to_the_host_address_only(fleet):
    for host in ("pfh2", "pfh3"):
        ports = on(host, "port", member(host, 1))
        assert ports == f"3031/tcp -> {HOSTS[host]}:8100", ports


def test_every_pool_container_on_one_host_stopped_keeps_gets_succeeding(fleet):
    on("pfh2", "stop", "-t", "20", f"{APP}-1", f"{APP}-2")
    try:
        seen = members(60)
        assert set(seen) == {f"{APP}-1.pfh3", f"{APP}-2.pfh3"}
    finally:
        on("pfh2", "start", f"{APP}-1", f"{APP}-2")
        for _ in range(60):
            if all(on("pfh2", "inspect", "-f", "{{.State.Health.Status}}", f"{APP}-{n}") == "healthy" for n in (1, 2)):
                break
            time.sleep(1)


def test_adding_and_removing_a_pool_host_reloads_the_frontend(fleet):
    started = on("pfh1", "inspect", "-f", "{{.State.StartedAt}}", f"{APP}-frontend")
    grown = deploy(fleet["tmp"], ["pfh2", "pfh3", "pfh4"])
    assert grown.rc == 0, grown.output[-4000:]
    assert set(members(60)) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3", "pfh4")}
    shrunk = deploy(fleet["tmp"], ["pfh2", "pfh3"])
    assert shrunk.rc == 0, shrunk.output[-4000:]
    assert set(members(40)) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3")}
    # Graceful: the frontend container was never restarted, only reloaded.
    assert on("pfh1", "inspect", "-f", "{{.State.StartedAt}}", f"{APP}-frontend") == started


def test_registry_mode_ships_a_new_version(fleet, tmp_path):
    app = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "hello", app)
    (app / "webapp.py").write_text((app / "webapp.py").read_text().replace("Hello, World!", "Hello, registry!"))
    result = deploy(fleet["tmp"], ["pfh2", "pfh3"], app_src=app,
                    extra={"pyfleet_image_distribution": "registry", "pyfleet_registry": "10.88.0.1:5000"})
    assert result.rc == 0, result.output[-5000:]
    ref = on("pfh2", "inspect", "-f", "{{.Config.Image}}", member("pfh2", 1))
    for host in ("pfh2", "pfh3"):
        digests = on(host, "image", "inspect", "-f", "{{json .RepoDigests}}", ref)
        assert "10.88.0.1:5000/" + ref.split(":")[0] in digests, (host, digests)
    catalog = json.loads(http("http://10.88.0.1:5000/v2/_catalog")[2])
    assert APP in catalog["repositories"]
    bodies = [http(FRONTEND + "/")[2] for _ in range(12)]
    assert all(b.startswith("Hello, registry!") for b in bodies), bodies


def test_an_image_built_and_pushed_by_ci_deploys_by_reference(fleet, tmp_path):
    # The pipeline: build and push with playbooks/build.yml, on a machine that then forgets it.
    app = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "hello", app)
    (app / "webapp.py").write_text((app / "webapp.py").read_text().replace("Hello, World!", "Hello, CI!"))
    ref_file = tmp_path / "image.txt"
    build_vars = {**APP_VARS, "pyfleet_app_src": str(app), "pyfleet_registry": "10.88.0.1:5000",
                  "pyfleet_build_ref_file": str(ref_file)}
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    built = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", "localhost,",
                            str(ROOT / "playbooks" / "build.yml"), "-e", json.dumps(build_vars)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert built.returncode == 0, (built.stdout + built.stderr)[-4000:]
    ref = ref_file.read_text().strip()
    assert ref.startswith(f"10.88.0.1:5000/{APP}:"), ref
    subprocess.run(["docker", "image", "rm", ref], capture_output=True, check=True)
    # The deploy: by reference, without the source; the controller pulls it and ships it.
    result = deploy(fleet["tmp"], ["pfh2", "pfh3"], extra={"pyfleet_app_image": ref, "pyfleet_app_src": ""})
    assert result.rc == 0, result.output[-5000:]
    for host in ("pfh2", "pfh3"):
        assert on(host, "inspect", "-f", "{{.Config.Image}}", member(host, 1)) == ref
    bodies = [http(FRONTEND + "/")[2] for _ in range(12)]
    assert all(b.startswith("Hello, CI!") for b in bodies), bodies


def test_rollout_under_load_drops_no_request(fleet, tmp_path):
    import concurrent.futures

    one = deploy(fleet["tmp"], ["pfh2", "pfh3"], app_src=app_version(tmp_path, "Hello, one!"))
    assert one.rc == 0, one.output[-5000:]
    with concurrent.futures.ThreadPoolExecutor(4) as pool, Load(FRONTEND) as load:
        slow = [pool.submit(http, FRONTEND + "/slow?s=4", timeout=30) for _ in range(4)]
        time.sleep(1)  # the slow requests are in flight when the rollout starts
        two = deploy(fleet["tmp"], ["pfh2", "pfh3"], app_src=app_version(tmp_path, "Hello, two!"),
                     extra={"pyfleet_rollout_batch": 1})
        slow_statuses = [f.result()[0] for f in slow]
        time.sleep(1)
    assert two.rc == 0, two.output[-5000:]
    assert load.failures() == {}, load.outcomes
    assert sum(load.outcomes.values()) > 200, load.outcomes
    assert slow_statuses == [200] * 4
    assert any(b.startswith("Hello, one!") for b in load.bodies)
    bodies = [http(FRONTEND + "/")[2] for _ in range(20)]
    assert all(b.startswith("Hello, two!") for b in bodies), set(bodies)
    assert set(members(40)) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3")}
    print("load during the rollout:", load.outcomes)


def test_failed_batch_puts_every_moved_host_back(fleet, tmp_path):
    two = deploy(fleet["tmp"], ["pfh2", "pfh3"], app_src=app_version(tmp_path, "Hello, two!"))
    assert two.rc == 0, two.output[-5000:]
    # Healthy on pfh2, never healthy on pfh3: the second batch fails after the first moved.
    broken = app_version(tmp_path, "Hello, three!", extra=(
        "\n\n@app.get('/healthz')\n"
        "def healthz_three():\n"
        "    if socket.gethostname().endswith('.pfh3'):\n"
        "        return {'status': 'database unreachable'}, 503\n"
        "    return {'status': 'ok'}\n"))
    source = (broken / "webapp.py").read_text()
    (broken / "webapp.py").write_text(source.replace('@app.get("/healthz")\ndef healthz():', '@app.get("/healthz-old")\ndef healthz():'))
    with Load(FRONTEND) as load:
        three = deploy(fleet["tmp"], ["pfh2", "pfh3"], app_src=broken, extra={"pyfleet_rollout_batch": 1})
    assert three.rc != 0
    # Refused as soon as Docker marked the member unhealthy, not after pyfleet_pool_healthy_timeout.
    assert re.search(rf"{APP}-[12](-b)? \(unhealthy\): uwsgi /healthz -> 503", three.output), three.output[-4000:]
    assert "not healthy after" not in three.output
    assert "The hosts it had moved (pfh2) are back on their previous version" in three.output, three.output[-4000:]
    assert "pfh3" in three.output and "database unreachable" in three.output, three.output[-4000:]
    assert load.failures() == {}, load.outcomes
    bodies = [http(FRONTEND + "/")[2] for _ in range(20)]
    assert all(b.startswith("Hello, two!") for b in bodies), set(bodies)
    assert set(members(40)) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3")}
    for host in ("pfh2", "pfh3"):
        images = on(host, "ps", "-a", "--format", "{{.Image}}", "--filter", f"label=pyfleet.app={APP}").split()
        assert len(images) == 2 and len(set(images)) == 1, (host, images)


def test_requests_failing_through_the_frontend_stop_the_rollout_and_go_back(fleet, tmp_path):
    # Healthy on its own socket, refused behind the proxy (as with a host allowlist): the
    # check through the frontend after the first batch fails, so the second never starts.
    before = {h: set(on(h, "ps", "-a", "--format", "{{.Image}}", "--filter", f"label=pyfleet.app={APP}").split())
              for h in ("pfh2", "pfh3")}
    picky = app_version(tmp_path, "Hello, picky!", extra=(
        "\n\n@app.before_request\n"
        "def refuse_proxied():\n"
        "    from flask import request\n"
        "    if request.headers.get('X-Forwarded-For'):\n"
        "        return 'host not allowed\\n', 400\n"))
    result = deploy(fleet["tmp"], ["pfh2", "pfh3"], app_src=picky, extra={"pyfleet_rollout_batch": 1})
    assert result.rc != 0
    assert re.search(r"Through \S+ on pfh1: \d+ of \d+ requests failed", result.output), result.output[-4000:]
    assert "The hosts it had moved (pfh2) are back on their previous version" in result.output, result.output[-4000:]
    second_batch = re.findall(r"TASK \[Start the new members on pfh3\] \*+\n(.*?)\n\n", result.output, re.S)
    assert not any("included:" in lines for lines in second_batch), second_batch
    for host in ("pfh2", "pfh3"):
        now = set(on(host, "ps", "-a", "--format", "{{.Image}}", "--filter", f"label=pyfleet.app={APP}").split())
        assert now == before[host], (host, before[host], now)
    bodies = [http(FRONTEND + "/")[2] for _ in range(20)]
    assert not any(b.startswith("Hello, picky!") or b.startswith("host not allowed") for b in bodies), set(bodies)
    assert set(members(40)) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3")}


def test_a_pool_host_whose_network_is_cut_stalls_no_request(fleet):
    # Every GET still succeeds, and none sent after the cut waits long on the members of the
    # dead host: the frontend gives up on a connection after pyfleet_frontend_connect_timeout
    # and tries another. A GET already on its way to pfh3 when the cut comes can only finish
    # once the link is back (TCP retransmits it), so those count for success only.
    with Load(FRONTEND, threads=4, post="", limit=20000, deadline=60, pause=0.01) as load:
        time.sleep(1)
        cut = time.monotonic() - load.started
        subprocess.run(["ip", "link", "set", "vpfh3", "down"], check=True)
        try:
            time.sleep(6)
        finally:
            subprocess.run(["ip", "link", "set", "vpfh3", "up"], check=True)
        time.sleep(1)
    assert load.sent > 200 and load.failures() == {}, load.outcomes
    after = [took for start, took in load.latencies if start > cut + 0.05]
    assert len(after) > 100, len(after)
    assert max(after) < 1.5, f"slowest GET sent after the cut took {max(after):.2f}s"
    print(f"pfh3 cut for 6 s: {load.sent} GETs, slowest sent after the cut {max(after):.3f}s, "
          f"slowest of all {load.slowest:.3f}s, p99 {load.percentile(0.99):.4f}s")


def test_pool_members_stop_gracefully(fleet):
    name = member("pfh3", 1)
    started = time.monotonic()
    on("pfh3", "stop", "-t", "20", name)
    took = time.monotonic() - started
    try:
        assert took < 10, f"stop took {took:.1f}s"
        assert on("pfh3", "inspect", "-f", "{{.State.ExitCode}}", name) != "137"
    finally:
        on("pfh3", "start", name)


def test_a_post_is_never_executed_twice_while_a_host_goes_down(fleet, tmp_path):
    import concurrent.futures

    app = app_version(tmp_path, "Hello, once!", extra=(
        "\n\n@app.post('/once')\n"
        "def once():\n"
        "    from flask import request\n"
        "    print('EXECUTED', request.headers.get('X-Request-Id'), flush=True)\n"
        "    return 'ok\\n'\n"))
    result = deploy(fleet["tmp"], ["pfh2", "pfh3"], app_src=app)
    assert result.rc == 0, result.output[-5000:]
    down = [member("pfh2", 1), member("pfh2", 2)]

    def post(number):
        if number == 150:
            on("pfh2", "stop", "-t", "20", *down)
        return http(FRONTEND + "/once", method="POST", data=b"x", headers={"X-Request-Id": f"r{number}"}, timeout=30)[0]

    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            statuses = dict(zip(range(400), pool.map(post, range(400))))
        gets = [http(FRONTEND + "/")[0] for _ in range(40)]
    finally:
        on("pfh2", "start", *down)
    executed = {}
    for host in ("pfh2", "pfh3"):
        for index in (1, 2):
            name = down[index - 1] if host == "pfh2" else member(host, index)
            proc = subprocess.run(["docker", "-H", f"unix://{STATE}/hosts/{host}/docker.sock", "logs", name],
                                  capture_output=True, text=True)
            logs = proc.stdout + proc.stderr
            for request_id in re.findall(r"^EXECUTED (r\d+)$", logs, re.M):
                executed[request_id] = executed.get(request_id, 0) + 1
    assert gets == [200] * 40
    assert list(statuses.values()).count(200) > 300, statuses
    assert executed and max(executed.values()) == 1, {k: v for k, v in executed.items() if v > 1}
    assert all(executed.get(f"r{n}") == 1 for n, status in statuses.items() if status == 200)
    print("POST outcomes while a host went down:", {s: list(statuses.values()).count(s) for s in set(statuses.values())})


def test_caddy_frontend_balances_over_https_across_hosts(fleet, tmp_path):
    import ssl
    import urllib.request

    switch = {"pyfleet_frontend_kind": "caddy", "pyfleet_frontend_image": "pyfleet/caddy:bookworm",
              "pyfleet_frontend_tls": "internal", "pyfleet_https_port": 8443,
              "pyfleet_frontend_ca_dir": str(tmp_path / "ca")}
    # The pool changes protocol with the frontend kind: in batches, preflight refuses it.
    batched = deploy(fleet["tmp"], ["pfh2", "pfh3"], extra=switch)
    assert batched.rc != 0
    assert ('pyfleet_frontend_kind is "caddy", but the frontend on pfh1 runs nginx' in batched.output
            and "pyfleet_rollout_batch=100%" in batched.output), batched.output[-3000:]
    assert on("pfh1", "inspect", "-f", "{{index .Config.Labels \"pyfleet.kind\"}}", f"{APP}-frontend") == "nginx"
    assert all(http(FRONTEND + "/")[0] == 200 for _ in range(8))
    caddy = deploy(fleet["tmp"], ["pfh2", "pfh3"], extra={**switch, "pyfleet_rollout_batch": "100%"})
    assert caddy.rc == 0, caddy.output[-5000:]
    context = ssl.create_default_context(cafile=str(tmp_path / "ca" / "pfh1.crt"))
    seen = {}
    for _ in range(40):
        with urllib.request.urlopen("https://10.88.0.11:8443/", context=context, timeout=10) as resp:
            name = re.search(r"This is (\S+)", resp.read().decode()).group(1)
            seen[name] = seen.get(name, 0) + 1
    assert set(seen) == {f"{APP}-{n}.{h}" for n in (1, 2) for h in ("pfh2", "pfh3")}, seen
    assert all(8 <= v <= 12 for v in seen.values()), seen
    # the pool now speaks HTTP to Caddy through each member's HTTP router, which keeps Caddy's
    # connections open between requests: after the 40 requests they are still there, idle
    assert re.search(r"^http = ", on("pfh2", "exec", member("pfh2", 1), "cat", "/etc/pyfleet/uwsgi.ini"), re.M)
    open_to = subprocess.run(["ip", "netns", "exec", "pfh1", "ss", "-Htn", "state", "established"],
                             capture_output=True, text=True, timeout=30).stdout
    ports = {host: [member_port(host, n) for n in (1, 2)] for host in ("pfh2", "pfh3")}
    held = {host for host in ("pfh2", "pfh3")
            if any(re.search(rf"\s{re.escape(HOSTS[host])}:{port}\s*$", open_to, re.M) for port in ports[host])}
    assert held == {"pfh2", "pfh3"}, open_to
    # The HTTP router's port admits the frontend host only: the controller and pfh3 (a pool
    # host, no frontend) cannot connect. From pfh1, a uwsgi packet and HTTP headers asking the
    # router to load code run nothing, and the member keeps serving.
    port = ports["pfh2"][0]
    for source in ("controller", "pfh3"):
        answer = attack(source, HOSTS["pfh2"], port, {})
        assert answer.startswith("refused:"), (source, answer)
    mark = "/tmp/pyfleet-pwned-http"
    packet = attack("pfh1", HOSTS["pfh2"], port, {"UWSGI_FILE": f"exec://touch {mark}", "UWSGI_APPID": "x"})
    assert "200" not in packet, packet
    headers = subprocess.run(["ip", "netns", "exec", "pfh1", "curl", "-sS", "-m", "10", "-H", f"UWSGI_FILE: exec://touch {mark}",
                              "-H", f"UWSGI-FILE: exec://touch {mark}", f"http://{HOSTS['pfh2']}:{port}/"],
                             capture_output=True, text=True, timeout=30)
    assert f"This is {APP}-1.pfh2" in headers.stdout, headers.stdout + headers.stderr
    assert on("pfh2", "exec", member("pfh2", 1), "sh", "-c", f"test -e {mark} && echo present || echo absent") == "absent"


def test_fleet_down_leaves_the_machine_as_found(fleet):
    subprocess.run([FLEET, "down"], check=True, capture_output=True, timeout=600)
    assert "pfh" not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert "pfbr0" not in links and "vpfh" not in links
    assert "pyfleet-fleet" not in subprocess.run(["iptables", "-S"], capture_output=True, text=True).stdout
    assert "pyfleet-fleet" not in pathlib.Path("/proc/self/mounts").read_text()
    procs = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "pyfleet-fleet" not in procs
    assert not STATE.exists()
    assert "10.88.0.1:5000" not in pathlib.Path("/etc/docker/daemon.json").read_text() \
        if pathlib.Path("/etc/docker/daemon.json").exists() else True
