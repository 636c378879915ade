"""The ACL file (Redis 7.0): `aclfile` loads users at start-up (and cannot be combined with `user`
directives), ACL LOAD replaces every user all or nothing with Redis's error texts, ACL SAVE
writes the ACL LIST lines atomically; without an aclfile both answer Redis's error. Each
scenario runs on Ember and on real Redis 7.0 and must give the same replies and log lines.

(ACL files here give at most one single-command rule per selector: Redis 7.0 lists several in
a per-process random order.)"""

from __future__ import annotations

import os

import pytest

from harness.resp import ConnectionClosed
from harness.server import ServerStartError
from harness.util import wait_for

KINDS = ["ember", "redis"]

NO_ACL_FILE = ("ERR This Redis instance is not configured to use an ACL file. You may want to "
               "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
               "(assuming you have a Redis configuration file set) in order to store users in "
               "the Redis configuration.")

GOOD = ("user alice on >pw ~k* &news* +@read\n"
        "\n"
        "user bob on nopass %R~r* resetchannels -@all +get (~w* +@write)\n"
        "user default on nopass ~* &* +@all\n")


def start(kind, ember_factory, ref_factory, **kw):
    return ember_factory(**kw) if kind == "ember" else ref_factory(**kw)


def acl_file(tmp_path, kind, text) -> str:
    path = tmp_path / f"{kind}.acl"
    path.write_text(text)
    return str(path)


def acl_list(srv) -> list[bytes]:
    return srv.raw().call("ACL", "LIST").py()


@pytest.mark.parametrize("kind", KINDS)
def test_aclfile_loaded_at_startup(kind, ember_factory, ref_factory, tmp_path):
    path = acl_file(tmp_path, kind, GOOD)
    srv = start(kind, ember_factory, ref_factory, args=["--aclfile", path])
    assert acl_list(srv) == [
        b"user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* "
        b"resetchannels &news* -@all +@read",
        b"user bob on nopass %R~r* resetchannels -@all +get (~w* resetchannels -@all +@write)",
        b"user default on nopass ~* &* +@all",
    ]
    c = srv.raw()
    assert c.call("AUTH", "alice", "pw").value == "OK"
    assert c.call("GET", "k1").is_null
    assert c.call("SET", "k1", "v").is_error
    assert c.call("AUTH", "bob", "x").value == "OK"
    assert c.call("SET", "w1", "v").value == "OK"
    assert c.call("GET", "r1").is_null


@pytest.mark.parametrize("kind", KINDS)
def test_aclfile_without_default_keeps_the_initial_default(kind, ember_factory, ref_factory,
                                                           tmp_path):
    path = acl_file(tmp_path, kind, "user alice on nopass +@all\n")
    srv = start(kind, ember_factory, ref_factory, args=["--aclfile", path])
    assert acl_list(srv) == [b"user alice on nopass resetchannels +@all",
                             b"user default on nopass ~* &* +@all"]


@pytest.mark.parametrize("kind", KINDS)
def test_aclfile_and_user_directives_refused(kind, ember_factory, ref_factory, tmp_path):
    path = acl_file(tmp_path, kind, GOOD)
    srv = start(kind, ember_factory, ref_factory, start=False,
                config=f"aclfile {path}\nuser carol on nopass +@all\n")
    with pytest.raises(ServerStartError):
        srv.start()
    assert ("Configuring Redis with users defined in redis.conf and at the same setting an ACL "
            "file path is invalid. This setup is very likely to lead to configuration errors and "
            "security holes, please define either an ACL file or declare users directly in your "
            "redis.conf, but not both.") in srv.log_text()


BAD_FILES = [
    # (file text, the error after "<path>:")
    ("user alice on\nuser dave bogus\n", "{p}:2: Syntax error. "),
    ("user dave on >a <b\n",
     "{p}:1: The password you are trying to remove from the user does not exist. "),
    ("user dave on #abc\n", "{p}:1: The password hash must be exactly 64 characters and contain "
                            "only lowercase hexadecimal characters. "),
    ("user dave on ~* ~x\n", "{p}:1: Adding a pattern after the * pattern (or the 'allkeys' flag) "
                             "is not valid and does not have any effect. Try 'resetkeys' to start "
                             "with an empty list of patterns. "),
    # Unknown names are quoted, each one; other errors only the first of a line.
    ("user dave on +nosuch bogus -nosuch2 alsobogus\n",
     "{p}:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. "
     "{p}:1: Syntax error. "
     "{p}:1: Error in applying operation '-nosuch2': Unknown command or category name in ACL. "),
    ("user dave on (~x +nosuch)\n",
     "{p}:1: Error in applying operation '(~x +nosuch)': Unknown command or category name in "
     "ACL. "),
    ("user dave on (~x (bogus)\n", "{p}:1: Syntax error. "),
    ("user dave on +config|get|x\n",
     "{p}:1: Allowing first-arg of a subcommand is not supported. "),
    ("user dave\nuser dave on\n", "WARNING: Duplicate user 'dave' found on line 2. "),
    ("User dave on\nuser\n# comment\n",
     "{p}:1 should start with user keyword followed by the username. "
     "{p}:2 should start with user keyword followed by the username. "
     "{p}:3 should start with user keyword followed by the username. "),
    ("user da\tve on\n", "'{p}:1: username 'da\tve' contains invalid characters. "),
]
TRAILER = "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"


@pytest.mark.parametrize("text,error", BAD_FILES)
@pytest.mark.parametrize("kind", KINDS)
def test_bad_aclfile_aborts_startup(kind, text, error, ember_factory, ref_factory, tmp_path):
    path = acl_file(tmp_path, kind, text)
    srv = start(kind, ember_factory, ref_factory, start=False, args=["--aclfile", path])
    with pytest.raises(ServerStartError):
        srv.start()
    want = "Aborting Redis startup because of ACL errors: " + error.format(p=path) + TRAILER
    assert want in srv.log_text()


@pytest.mark.parametrize("text,error", BAD_FILES)
@pytest.mark.parametrize("kind", KINDS)
def test_acl_load_is_all_or_nothing(kind, text, error, ember_factory, ref_factory, tmp_path):
    path = acl_file(tmp_path, kind, GOOD)
    srv = start(kind, ember_factory, ref_factory, args=["--aclfile", path])
    before = acl_list(srv)
    with open(path, "w") as f:
        f.write(text)
    r = srv.raw().call("ACL", "LOAD")
    assert r.is_error and r.value == "ERR " + error.format(p=path) + TRAILER
    assert acl_list(srv) == before


def test_unmatched_parenthesis_in_file(ember_factory, tmp_path):
    # Redis 7.0 crashes on this line; Ember gives the message Redis meant.
    path = acl_file(tmp_path, "ember", GOOD)
    srv = ember_factory(args=["--aclfile", path])
    with open(path, "w") as f:
        f.write("user dave on (~x +get\n")
    r = srv.raw().call("ACL", "LOAD")
    assert r.value == f"ERR {path}:1: Unmatched parenthesis in selector definition. {TRAILER}"


def user_count(admin, user) -> int:
    lines = admin.call("CLIENT", "LIST").value.decode().splitlines()
    return sum(1 for line in lines if f" user={user} " in line)


@pytest.mark.parametrize("kind", KINDS)
def test_acl_load_replaces_users_and_disconnects_theirs(kind, ember_factory, ref_factory,
                                                        tmp_path):
    path = acl_file(tmp_path, kind, GOOD)
    srv = start(kind, ember_factory, ref_factory, args=["--aclfile", path])
    admin = srv.raw()
    alice, bob = srv.raw(), srv.raw()
    alice.call("AUTH", "alice", "pw")
    bob.call("AUTH", "bob", "x")
    bob.call("SUBSCRIBE", "news1")
    admin.call("ACL", "SETUSER", "carol", "on", "nopass")
    # The same users again: Redis 7.0 still disconnects every client of a non-default user.
    assert admin.call("ACL", "LOAD").value == "OK"
    wait_for(lambda: user_count(admin, "alice") + user_count(admin, "bob") == 0)
    assert admin.call("ACL", "USERS").py() == [b"alice", b"bob", b"default"]  # carol is gone
    assert admin.call("PING").value == "PONG"
    # A file without "default" brings back the initial default user.
    admin.call("ACL", "SETUSER", "default", "resetchannels", "-flushall")
    with open(path, "w") as f:
        f.write("user alice off\n")
    assert srv.raw().call("ACL", "LOAD").value == "OK"
    assert acl_list(srv) == [b"user alice off resetchannels -@all",
                             b"user default on nopass ~* &* +@all"]
    os.unlink(path)
    assert srv.raw().call("ACL", "LOAD").value == \
        f"ERR Error loading ACLs, opening file '{path}': No such file or directory"


@pytest.mark.parametrize("kind", KINDS)
def test_acl_save_writes_acl_list(kind, ember_factory, ref_factory, tmp_path):
    path = acl_file(tmp_path, kind, GOOD)
    srv = start(kind, ember_factory, ref_factory, args=["--aclfile", path])
    admin = srv.raw()
    admin.call("ACL", "SETUSER", "carol", "on", ">secret", "%W~w*", "(&c* +publish)",
               "(~x +@hash)")
    admin.call("ACL", "DELUSER", "alice")
    assert admin.call("ACL", "SAVE").value == "OK"
    listed = acl_list(srv)
    assert open(path, "rb").read() == b"".join(line + b"\n" for line in listed)
    assert sorted(os.listdir(tmp_path)) == [f"{kind}.acl"]  # no temporary file left
    # What was saved loads back to the same users.
    admin.call("ACL", "SETUSER", "carol", "reset")
    assert admin.call("ACL", "LOAD").value == "OK"
    assert acl_list(srv) == listed
    # A missing file is created.
    os.unlink(path)
    assert admin.call("ACL", "SAVE").value == "OK"
    assert os.path.exists(path)


@pytest.mark.parametrize("kind", KINDS)
def test_load_and_save_need_an_aclfile(kind, ember_factory, ref_factory):
    c = start(kind, ember_factory, ref_factory).raw()
    assert c.call("ACL", "LOAD").value == NO_ACL_FILE
    assert c.call("ACL", "SAVE").value == NO_ACL_FILE


@pytest.mark.parametrize("kind", KINDS)
def test_user_directive_with_selectors(kind, ember_factory, ref_factory):
    srv = start(kind, ember_factory, ref_factory,
                config="user carol on nopass (~x +get) +@read (%W~w* +set)\n")
    assert acl_list(srv) == [
        b"user carol on nopass resetchannels -@all +@read (~x resetchannels -@all +get) "
        b"(%W~w* resetchannels -@all +set)",
        b"user default on nopass ~* &* +@all",
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_user_directive_for_default_resets_it_first(kind, ember_factory, ref_factory):
    srv = start(kind, ember_factory, ref_factory,
                config="user default on nopass ~a* +@connection\nuser root on nopass +@all\n")
    c = srv.raw()
    assert c.call("AUTH", "root", "x").value == "OK"
    assert c.call("ACL", "LIST").py() == [
        b"user default on nopass sanitize-payload ~a* resetchannels -@all +@connection",
        b"user root on nopass resetchannels +@all"]


@pytest.mark.parametrize("kind", KINDS)
def test_acl_load_by_a_non_default_user_closes_its_connection_after_the_reply(
        kind, ember_factory, ref_factory, tmp_path):
    path = acl_file(tmp_path, kind, "user root on >pw ~* &* +@all\n")
    srv = start(kind, ember_factory, ref_factory, args=["--aclfile", path])
    c = srv.raw()
    assert c.call("AUTH", "root", "pw").value == "OK"
    assert c.call("ACL", "LOAD").value == "OK"
    with pytest.raises((ConnectionClosed, OSError)):
        c.call("PING")


@pytest.mark.parametrize("kind", KINDS)
def test_acl_save_failure(kind, ember_factory, ref_factory, tmp_path):
    # The ACL file's path is a directory: it loads as an empty file, and renaming over it fails.
    path = tmp_path / "dir.acl"
    path.mkdir()
    srv = start(kind, ember_factory, ref_factory, args=["--aclfile", str(path)])
    r = srv.raw().call("ACL", "SAVE")
    assert r.value == ("ERR There was an error trying to save the ACLs. Please check the server "
                       "logs for more information")
    assert "Renaming ACL file for ACL SAVE" in srv.log_text()
    assert os.listdir(tmp_path) == ["dir.acl"]  # the temporary file is removed


def rewritten_user_lines(srv) -> list[str]:
    assert srv.raw().call("CONFIG", "REWRITE").value == "OK"
    text = (srv.dir / "server.conf").read_text()
    return [line for line in text.splitlines() if line.startswith(("user ", "aclfile "))]


@pytest.mark.parametrize("kind", KINDS)
def test_config_rewrite_writes_users(kind, ember_factory, ref_factory):
    srv = start(kind, ember_factory, ref_factory, config="user carol on nopass +@read\n")
    srv.raw().call("ACL", "SETUSER", "dave", "on", ">pw", "(~x +@write)")
    assert rewritten_user_lines(srv) == [
        "user carol on nopass resetchannels -@all +@read",
        "user dave on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 "
        "resetchannels -@all (~x resetchannels -@all +@write)",
        "user default on nopass ~* &* +@all",
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_config_rewrite_leaves_users_to_the_aclfile(kind, ember_factory, ref_factory, tmp_path):
    path = acl_file(tmp_path, kind, GOOD)
    srv = start(kind, ember_factory, ref_factory, config=f"aclfile {path}\n")
    srv.raw().call("ACL", "SETUSER", "dave", "on")
    assert rewritten_user_lines(srv) == [f"aclfile \"{path}\""]


BAD_USER_DIRECTIVES = [
    ("user carol on\nuser carol off\n",
     ["Reading the configuration file, at line 2", ">>> 'user carol off'",
      "Error in user declaration 'carol': Duplicate user found. A user can only be defined once "
      "in config files"]),
    ("user carol on bogus\n",
     [">>> 'user carol on bogus'", "Error in user declaration 'carol': Syntax error"]),
    ("user carol on #abc\n",
     ["Error in user declaration 'carol': The password hash must be exactly 64 characters and "
      "contain only lowercase hexadecimal characters"]),
    # Unknown commands are reported when the users are created.
    ("user carol on +nosuch\n",
     ["Error loading ACL rule '+nosuch' for the user named 'carol': Unknown command or category "
      "name in ACL", "Critical error while loading ACLs. Exiting."]),
    ('user "ca rol" on\n',
     ["Spaces not allowed in ACL usernames", "Critical error while loading ACLs. Exiting."]),
]


@pytest.mark.parametrize("config,messages", BAD_USER_DIRECTIVES)
@pytest.mark.parametrize("kind", KINDS)
def test_bad_user_directive_is_fatal(kind, config, messages, ember_factory, ref_factory):
    srv = start(kind, ember_factory, ref_factory, start=False, config=config)
    with pytest.raises(ServerStartError):
        srv.start()
    out = srv.stderr_text() + srv.stdout_text() + srv.log_text()
    for m in messages:
        assert m in out


def test_user_directive_unmatched_parenthesis(ember_factory):
    # (Redis 7.0 names a stale errno here: "Unknown command or category name in ACL".)
    srv = ember_factory(start=False, config="user carol on (~x +get\n")
    with pytest.raises(ServerStartError):
        srv.start()
    assert ("Error in user declaration 'carol': Unmatched parenthesis in acl selector starting at "
            "'(~x'.") in srv.stderr_text() + srv.stdout_text()


@pytest.mark.parametrize("kind", KINDS)
def test_disabled_user_directive_is_noticed(kind, ember_factory, ref_factory):
    srv = start(kind, ember_factory, ref_factory, config="user carol nopass +@all\n")
    assert ("The user 'carol' is disabled (there is no 'on' modifier in the user description). "
            "Make sure this is not a configuration error.") in srv.log_text()
