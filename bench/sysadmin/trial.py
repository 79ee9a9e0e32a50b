#!/usr/bin/env python3
"""The new-user trial of tclog-scrub (issue 22): a sysadmin's sessions as
a tool-call log, scrubbed, then measured.

    python3 bench/sysadmin/trial.py [TCLOG_SCRUB [-v]]

Writes the log of corpus.py's hand-written steps and of the sessions
made here from templates (each a place where people really put a secret:
SQL, config files, the user's and the model's own words, tool options,
tokens pasted into commands; and the harmless look-alikes such sessions
print), runs tclog-scrub on it (default build/bin/tclog-scrub), and
prints per kind: recall (secrets gone from the scrubbed entry) and
damage (look-alikes changed). -v lists what was missed and damaged.

The values are made up here, from a fixed seed: the run is the same
every time. Nothing is taken from tclog's tests or tclog-scrub(1)'s
examples; the formats come from each tool's own documentation.
"""

import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

R = random.Random(2212)
LOW = "abcdefghijklmnopqrstuvwxyz"
UP = LOW.upper()
DIG = "0123456789"
HEX = "0123456789abcdef"
ALNUM = LOW + UP + DIG
B64 = ALNUM + "+/"
WORDS = ("amber", "basalt", "cobalt", "delta", "ember", "fjord", "granite",
         "harbor", "indigo", "juniper", "kestrel", "lantern", "meadow",
         "nectar", "orchid", "pepper", "quartz", "raven", "saffron",
         "tundra", "umber", "velvet", "walnut", "yarrow", "zephyr")
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
         "ivan", "judy", "mallory", "oscar", "peggy", "trent", "victor")
HOSTS = ("db1", "db2", "web01", "web02", "nas01", "mon1", "ci01", "lb1",
         "kube-a", "vpn1", "mail1", "backup2")


def rs(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def pw():
    """A password as admins pick them."""
    w1, w2 = R.choice(WORDS), R.choice(WORDS)
    return R.choice((
        lambda: w1.capitalize() + "-" + w2 + "-" + rs(DIG, 2),
        lambda: w1[:4].capitalize() + rs(DIG, 3) + R.choice("!#%*") + w2[:3],
        lambda: rs(ALNUM, 12),
        lambda: w1.capitalize() + rs(DIG, 4) + "!",
        lambda: rs(LOW, 3) + R.choice("._") + w2 + rs(DIG, 2) + "X",
        lambda: w1 + "." + w2 + "." + R.choice(WORDS),
    ))()


def user():
    return R.choice(USERS)


def host():
    return R.choice(HOSTS) + ".corp.lan"


T = []      # (kind, function) for secrets
L = []      # (kind, function) for look-alikes


def secret(kind, n=10):
    def add(f):
        T.append((kind, f, n))
        return f
    return add


def lookalike(kind):
    def add(f):
        L.append((kind, f))
        return f
    return add


# Each template returns (query, say, command, output, [secret], [kept]).

@secret("sql: CREATE/ALTER USER ... IDENTIFIED BY")
def _():
    p = pw()
    u = user()
    q = R.choice(("CREATE USER '%s'@'%%' IDENTIFIED BY '%s';",
                  "ALTER USER '%s'@'localhost' IDENTIFIED BY '%s';",
                  "CREATE USER IF NOT EXISTS '%s'@'10.0.%%' IDENTIFIED WITH mysql_native_password BY '%s';",
                  "GRANT SELECT ON app.* TO '%s'@'%%' IDENTIFIED BY '%s';")) % (u, p)
    return ("", "Creating the account.", "mysql -u root -e \"%s\"" % q, "", [p], [])


@secret("sql: PostgreSQL ROLE/USER ... PASSWORD")
def _():
    p = pw()
    q = R.choice(("CREATE ROLE %s LOGIN PASSWORD '%s';",
                  "ALTER USER %s WITH PASSWORD '%s';",
                  "CREATE USER %s WITH ENCRYPTED PASSWORD '%s' VALID UNTIL '2027-01-01';",
                  "ALTER ROLE %s PASSWORD '%s';")) % (user(), p)
    return ("", "", "sudo -u postgres psql -c \"%s\"" % q, R.choice(("CREATE ROLE\n", "ALTER ROLE\n")), [p], [])


@secret("sql: SET PASSWORD")
def _():
    p = pw()
    return ("", "", "mysql -e \"SET PASSWORD FOR '%s'@'localhost' = '%s';\"" % (user(), p), "", [p], [])


@secret("mysql -p / --password=")
def _():
    p = pw()
    c = R.choice(("mysql -h %s -u %s -p'%s' app" % (host(), user(), p),
                  "mysqldump -u root -p%s --all-databases > all.sql" % p,
                  "mysqladmin -u root --password=%s status" % p,
                  "mysql --user=%s --password='%s' -e 'SHOW DATABASES'" % (user(), p)))
    return ("", "", c, "", [p], [])


@secret(".pgpass line")
def _():
    p = pw()
    line = "%s:5432:%s:%s:%s" % (host(), R.choice(("app", "shop", "*")), user(), p)
    if R.random() < 0.5:
        return ("", "", "cat ~/.pgpass", line + "\n", [p], [])
    return ("", "", "echo '%s' >> ~/.pgpass" % line, "", [p], [])


@secret("URL with user:password")
def _():
    p = rs(ALNUM, R.randint(10, 18))
    u = R.choice(("postgres://%s:%s@%s:5432/app", "mysql://%s:%s@%s/shop",
                  "amqp://%s:%s@%s:5672/", "https://%s:%s@%s/repo.git",
                  "mongodb://%s:%s@%s:27017/admin")) % (user(), p, host())
    c = R.choice(("export DATABASE_URL='%s'", "psql '%s' -c 'select 1'",
                  "git clone %s", "echo \"BROKER_URL=%s\" >> .env")) % u
    return ("", "", c, "", [p], [])


@secret("env file KEY=value")
def _():
    p = pw()
    k = R.choice(("DB_PASSWORD", "POSTGRES_PASSWORD", "MYSQL_ROOT_PASSWORD",
                  "SMTP_PASS", "REDIS_PASSWORD", "ADMIN_PASS", "APP_SECRET"))
    return ("", "", "cat /srv/app/.env",
            "DB_HOST=%s\n%s=%s\nLOG_LEVEL=info\n" % (host(), k, p), [p], ["LOG_LEVEL=info"])


@secret("export in a shell rc")
def _():
    p = rs(ALNUM, 20)
    k = R.choice(("API_KEY", "SERVICE_TOKEN", "BACKUP_SECRET", "MONITOR_API_KEY"))
    c = R.choice(("echo 'export %s=\"%s\"' >> ~/.bashrc", "export %s=%s",
                  "echo \"export %s='%s'\" >> ~/.profile")) % (k, p)
    return ("", "", c, "", [p], [])


@secret("YAML config password:")
def _():
    p = pw()
    return ("", "", "cat /etc/app/config.yml",
            "database:\n  host: %s\n  user: app\n  password: \"%s\"\n  pool: 10\n" % (host(), p),
            [p], ["pool: 10"])


@secret("JSON config \"password\"")
def _():
    p = pw()
    k = R.choice(("password", "db_password", "smtpPassword", "secret_key", "apiToken"))
    return ("", "", "cat config.json",
            "{\n  \"host\": \"%s\",\n  \"%s\": \"%s\",\n  \"port\": 8443\n}\n" % (host(), k, p),
            [p], ["\"port\": 8443"])


@secret("INI/conf password =")
def _():
    p = pw()
    k = R.choice(("password", "smtp_password", "bind_pw", "secret"))
    return ("", "", "sudo cat /etc/app/app.ini",
            "[main]\nlisten = 0.0.0.0:8080\n%s = %s\n" % (k, p), [p], ["listen = 0.0.0.0:8080"])


@secret("prose: the user states it")
def _():
    p = pw()
    q = R.choice(("the %s password on %s is %s" % (R.choice(("root", "admin", "db")), host(), p),
                  "password for %s is %s, log in and check the disk" % (user(), p),
                  "use %s as the password for the new account" % p,
                  "pw: %s" % p,
                  "the admin password was changed to %s yesterday" % p,
                  "set %s's password to %s please" % (user(), p),
                  "my passphrase is \"%s\"" % p))
    return (q, "I'll take care of it.", "id %s" % user(), "", [p], [])


@secret("prose: the model quotes it")
def _():
    p = pw()
    s = R.choice(("The password for %s is `%s`." % (user(), p),
                  "I have set the password to %s." % p,
                  "The current value in the file is: password: \"%s\"." % p,
                  "Done: the new passphrase is '%s'." % p))
    return ("", s, "true", "", [p], [])


@secret("curl -u user:password")
def _():
    p = pw()
    c = R.choice(("curl -u %s:%s https://%s/api/health",
                  "curl -s -u '%s:%s' https://%s/metrics",
                  "curl --user %s:'%s' -X POST https://%s/job/build")) % (user(), p, host())
    return ("", "", c, "", [p], [])


@secret("Authorization header")
def _():
    t = rs(ALNUM, 32)
    c = R.choice(("curl -H 'Authorization: Bearer %s' https://%s/v1/items",
                  "curl -H \"Authorization: Token %s\" https://%s/api/")) % (t, host())
    return ("", "", c, "", [t], [])


@secret("sshpass -p")
def _():
    p = pw()
    return ("", "", "sshpass -p '%s' ssh %s@%s uptime" % (p, user(), host()), "", [p], [])


@secret("chpasswd / passwd from echo")
def _():
    p = pw()
    u = user()
    c = R.choice(("echo '%s:%s' | sudo chpasswd" % (u, p),
                  "echo -e '%s\\n%s' | sudo passwd %s" % (p, p, u),
                  "printf '%s:%s\\n' | chpasswd" % (u, p)))
    return ("", "", c, "", [p], [])


@secret("htpasswd -b")
def _():
    p = pw()
    return ("", "", "sudo htpasswd -b /etc/nginx/.htpasswd %s '%s'" % (user(), p),
            "Adding password for user\n", [p], [])


@secret("docker login -p")
def _():
    p = pw()
    return ("", "", "docker login -u %s -p '%s' registry.corp.lan" % (user(), p),
            "Login Succeeded\n", [p], ["Login Succeeded"])


@secret("redis: -a, requirepass")
def _():
    p = pw()
    c = R.choice(("redis-cli -h %s -a '%s' ping" % (host(), p),
                  "echo 'requirepass %s' | sudo tee -a /etc/redis/redis.conf" % p,
                  "redis-cli CONFIG SET requirepass '%s'" % p))
    return ("", "", c, "", [p], [])


@secret("openssl pass:")
def _():
    p = pw()
    c = R.choice(("openssl pkcs12 -export -in c.crt -inkey c.key -out c.p12 -passout pass:%s" % p,
                  "openssl rsa -in enc.key -out plain.key -passin 'pass:%s'" % p,
                  "openssl passwd -6 '%s'" % p,
                  "openssl enc -d -aes-256-cbc -pbkdf2 -in db.enc -out db.sql -k %s" % p))
    return ("", "", c, "", [p], [])


@secret("gpg --passphrase")
def _():
    p = pw()
    return ("", "", "gpg --batch --pinentry-mode loopback --passphrase '%s' -d dump.gpg > dump" % p, "", [p], [])


@secret("ipmitool -P")
def _():
    p = pw()
    return ("", "", "ipmitool -I lanplus -H bmc-%s -U ADMIN -P '%s' sensor list" % (R.choice(HOSTS), p), "", [p], [])


@secret("ldap -w")
def _():
    p = pw()
    return ("", "", "ldapsearch -x -D 'cn=admin,dc=corp,dc=lan' -w '%s' -b 'dc=corp,dc=lan' uid=%s" % (p, user()), "", [p], [])


@secret("samba: -U user%pw, password=")
def _():
    p = pw()
    c = R.choice(("smbclient //fs01/share -U '%s%%%s' -c ls" % (user(), p),
                  "sudo mount -t cifs //fs01/share /mnt -o username=%s,password=%s" % (user(), p)))
    return ("", "", c, "", [p], [])


@secret("Wi-Fi: nmcli, psk=")
def _():
    p = pw()
    c = R.choice(("nmcli dev wifi connect Office-5G password '%s'" % p,
                  "sudo grep psk= /etc/NetworkManager/system-connections/Office.nmconnection"))
    out = "" if c.startswith("nmcli") else "psk=%s\n" % p
    return ("", "", c, out, [p], [])


@secret("expect send")
def _():
    p = pw()
    return ("", "", "cat > login.exp <<'EOF'\nspawn ssh %s@%s\nexpect \"password:\"\nsend \"%s\\r\"\ninteract\nEOF" % (user(), host(), p), "", [p], [])


@secret("keepalived auth_pass")
def _():
    p = rs(ALNUM, 8)
    return ("", "", "grep -A2 authentication /etc/keepalived/keepalived.conf",
            "    authentication {\n        auth_type PASS\n        auth_pass %s\n" % p, [p], ["auth_type PASS"])


@secret("docker config.json auth")
def _():
    import base64
    a = base64.b64encode(("%s:%s" % (user(), pw())).encode()).decode()
    return ("", "", "cat ~/.docker/config.json",
            "{\n  \"auths\": {\n    \"registry.corp.lan\": {\n      \"auth\": \"%s\"\n    }\n  }\n}\n" % a, [a], [])


@secret("kubeconfig token, client-key-data")
def _():
    if R.random() < 0.5:
        t = rs(LOW + DIG, 6) + "." + rs(LOW + DIG, 16)
        return ("", "", "kubectl config view --raw | grep token",
                "    token: %s\n" % t, [t], [])
    k = "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t" + rs(B64, 40)
    return ("", "", "grep client-key-data ~/.kube/config",
            "    client-key-data: %s\n" % k, [k], [])


@secret("private key block")
def _():
    body = "\n".join(rs(B64, 64) for _ in range(5))
    kind = R.choice(("OPENSSH", "RSA", "EC"))
    return ("", "", "cat ~/.ssh/id_deploy",
            "-----BEGIN %s PRIVATE KEY-----\n%s\n-----END %s PRIVATE KEY-----\n" % (kind, body, kind),
            [body.split("\n")[2]], [])


@secret("password hash in /etc/shadow")
def _():
    h = "$6$" + rs(ALNUM, 16) + "$" + rs(ALNUM + "./", 86)
    return ("", "", "sudo grep %s /etc/shadow" % user(), "%s:%s:19700:0:99999:7:::\n" % (user(), h), [h], [])


@secret(".netrc")
def _():
    p = pw()
    return ("", "", "cat ~/.netrc", "machine %s login %s password %s\n" % (host(), user(), p), [p], [])


@secret("s3fs ID:SECRET")
def _():
    i = "AKIA" + rs(UP + "234567", 16)
    s = rs(ALNUM + "/+", 40)
    return ("", "", "echo '%s:%s' > /etc/passwd-s3fs" % (i, s), "", [i, s], [])


@secret("AWS keys")
def _():
    i = "AKIA" + rs(UP + "234567", 16)
    s = rs(ALNUM + "/+", 40)
    if R.random() < 0.5:
        return ("", "", "cat ~/.aws/credentials",
                "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (i, s), [i, s], [])
    return ("", "", "aws configure set aws_secret_access_key %s" % s, "", [s], [])


def token_step(kind, make, ctx):
    @secret(kind, 2)
    def _():
        t = make()
        return ("", "", ctx(t), "", [t], [])


VAR = ("export TOKEN=%s", "curl -H 'X-Api-Key: %s' https://api.example.net/",
       "echo %s | gh auth login --with-token", "npm config set //registry/:_authToken %s",
       "tool --token=%s run")
for kind, make in (
        ("GitHub token", lambda: "ghp_" + rs(ALNUM, 36)),
        ("GitLab token", lambda: "glpat-" + rs(ALNUM + "_-", 20)),
        ("Slack token", lambda: "xoxb-" + rs(DIG, 12) + "-" + rs(DIG, 13) + "-" + rs(ALNUM, 24)),
        ("OpenAI key", lambda: "sk-proj-" + rs(ALNUM, 48)),
        ("Anthropic key", lambda: "sk-ant-api03-" + rs(ALNUM + "_-", 90)),
        ("Stripe key", lambda: "sk_live_" + rs(ALNUM, 24)),
        ("Google API key", lambda: "AIza" + rs(ALNUM + "_-", 35)),
        ("npm token", lambda: "npm_" + rs(ALNUM, 36)),
        ("Hugging Face token", lambda: "hf_" + rs(ALNUM, 34)),
        ("SendGrid key", lambda: "SG." + rs(ALNUM + "_-", 22) + "." + rs(ALNUM + "_-", 43)),
        ("DigitalOcean token", lambda: "dop_v1_" + rs(HEX, 64)),
        ("Vault token", lambda: "hvs." + rs(ALNUM, 24)),
        ("Docker PAT", lambda: "dckr_pat_" + rs(ALNUM + "_-", 27)),
        ("PyPI token", lambda: "pypi-AgEIcHlwaS5vcmc" + rs(ALNUM + "_-", 60)),
        ("Shopify token", lambda: "shpat_" + rs(HEX, 32)),
        ("Mailgun key", lambda: "key-" + rs(HEX, 32)),
        ("JWT", lambda: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI" + rs(ALNUM, 20) + "." + rs(ALNUM + "_-", 43))):
    for ctx in VAR:
        token_step(kind, make, lambda t, c=ctx: c % t)


@secret("Telegram bot token in a URL")
def _():
    t = rs(DIG, 10) + ":AA" + rs(ALNUM + "_-", 33)
    return ("", "", "curl -s https://api.telegram.org/bot%s/getUpdates" % t, "", [t], [])


@secret("Datadog API key")
def _():
    k = rs(HEX, 32)
    c = R.choice(("DD_API_KEY=%s bash -c \"$(curl -L https://install.example/agent.sh)\"",
                  "sudo sed -i 's/^api_key:.*/api_key: %s/' /etc/datadog-agent/datadog.yaml"))
    return ("", "", c % k, "", [k], [])


@secret("doctl / poetry tokens")
def _():
    if R.random() < 0.5:
        t = "dop_v1_" + rs(HEX, 64)
        return ("", "", "doctl auth init -t %s" % t, "", [t], [])
    p = pw()
    return ("", "", "poetry config http-basic.corp %s '%s'" % (user(), p), "", [p], [])


@secret("e-mail address")
def _():
    e = "%s.%s@%s" % (user(), R.choice(WORDS), R.choice(("gmail.com", "corp-mail.example", "example.org")))
    return ("", "", "mail -s report %s < r.txt" % e, "", [e], [])


# ---- look-alikes: what must stay ----

def keep_step(kind, make):
    @lookalike(kind)
    def _():
        c, out, keep = make()
        return ("", "", c, out, [], keep)


keep_step("git and sha256 hashes", lambda: (lambda h: ("git log -1 --format=%H", h + "\n", [h]))(rs(HEX, 40)))
keep_step("git and sha256 hashes", lambda: (lambda h: ("sha256sum backup.tar", h + "  backup.tar\n", [h]))(rs(HEX, 64)))
keep_step("UUIDs and digests", lambda: (lambda u: ("blkid /dev/sda1", "/dev/sda1: UUID=\"%s\" TYPE=\"ext4\"\n" % u, [u]))(
    "-".join(rs(HEX, n) for n in (8, 4, 4, 4, 12))))
keep_step("UUIDs and digests", lambda: (lambda d: ("docker pull nginx@sha256:" + d, "", ["nginx@sha256:" + d]))(rs(HEX, 64)))
keep_step("ssh/scp/rsync targets", lambda: (lambda t: ("ssh %s uptime" % t, "", [t]))("%s@%s" % (user(), host())))
keep_step("ssh/scp/rsync targets", lambda: (lambda t: ("rsync -a /srv/ %s:/backup/" % t, "", [t]))("%s@%s" % (user(), host())))
keep_step("ssh/scp/rsync targets", lambda: (lambda t: ("scp app.tar %s:/tmp/" % t, "", [t]))("%s@%s" % (user(), host())))
keep_step("ssh/scp/rsync targets", lambda: (lambda t: ("git clone %s:infra/site.git" % t, "", [t]))("git@" + host()))
keep_step("systemd instance units", lambda: (lambda u: ("systemctl restart " + u, "", [u]))(
    R.choice(("getty@tty%d.service", "openvpn-client@site%d.service", "backup@%d.timer", "wg-quick@wg%d.service")) % R.randint(0, 9)))
keep_step("documented example keys", lambda: ("cat example.ini", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n", ["AKIAIOSFODNN7EXAMPLE"]))
keep_step("placeholders", lambda: (lambda v: ("cat .env.example", v + "\n", [v]))(R.choice((
    "GITHUB_TOKEN=ghp_" + "X" * 36, "API_KEY=your-api-key-here", "DB_PASSWORD=changeme",
    "SECRET_KEY=<secret>", "STRIPE_KEY=sk_live_" + "x" * 24, "password: ${DB_PASSWORD}"))))
keep_step("references, not values", lambda: (lambda v: ("grep -r PASS docker-compose.yml", v + "\n", [v]))(R.choice((
    "POSTGRES_PASSWORD_FILE: /run/secrets/db_password", "MYSQL_PASSWORD: ${MYSQL_PASSWORD}",
    "password: {{ vault_db_password }}", "DB_PASS=$(cat /run/secrets/db)", "PGPASSWORD=\"$PGPASS\""))))
keep_step("code that names a password", lambda: (lambda v: ("sed -n 10,12p app/auth.py", v + "\n", [v]))(R.choice((
    "password = getpass.getpass()", "if password == confirm:", "token = request.headers.get('X-Token')",
    "api_key = os.environ['API_KEY']", "secret = load_secret(path)", "password: string;"))))
keep_step("options that take no secret", lambda: (lambda c: (c, "", [c]))(R.choice((
    "docker login -u deploy --password-stdin registry.corp.lan", "mysql -u root -p",
    "ssh -p 2222 " + host(), "docker run -p 8080:80 nginx", "ldapsearch -x -W -b dc=corp,dc=lan",
    "gpg --passphrase-file /root/.pass -d f.gpg", "redis-cli -h %s ping" % host()))))
keep_step("podman/docker secret names", lambda: (lambda n: ("podman run --secret %s,type=env,target=DB_PASSWORD app" % n, "", ["--secret " + n]))(
    R.choice(("db_pass", "pg_password", "api_token", "smtp_secret"))))
keep_step("tool output about passwords", lambda: (lambda v: ("sudo passwd " + user(), v + "\n", [v]))(R.choice((
    "passwd: all authentication tokens updated successfully.", "passwd: password expiry information changed.",
    "Enter LDAP Password: ", "Password for root@localhost: ", "Sorry, try again."))))
keep_step("prose about passwords, no value", lambda: (lambda s: ("true", "", [s]))(R.choice((
    "The password is wrong or the account is locked.", "The token limit is 4096 tokens.",
    "The API key is stored in Vault.", "Your password must be at least 12 characters long.",
    "The password was changed yesterday.", "Use a passphrase manager for this."))))
keep_step("base64 that is no secret", lambda: (lambda b: ("grep certificate-authority-data ~/.kube/config",
                                                          "    certificate-authority-data: %s\n" % b, [b]))(
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t" + rs(B64, 40)))
keep_step("MAC, IPv6, versions", lambda: (lambda m: ("ip link", "link/ether %s brd ff:ff:ff:ff:ff:ff\n" % m, [m]))(
    ":".join(rs(HEX, 2) for _ in range(6))))
keep_step("MAC, IPv6, versions", lambda: (lambda a: ("ip -6 addr", "inet6 %s/64 scope global\n" % a, [a]))(
    "2001:db8:" + ":".join(rs(HEX, 4) for _ in range(4))))
keep_step("config keys that are not secrets", lambda: (lambda v: ("grep key /etc/mysql/my.cnf", v + "\n", [v]))(R.choice((
    "key_buffer_size = 256M", "ssl_key = /etc/mysql/server-key.pem", "sort_key: name",
    "primary_key: id", "token_ttl: 3600", "password_min_length: 12"))))
keep_step("image names and scoped packages", lambda: (lambda v: ("npm ls", v + "\n", [v]))(R.choice((
    "@types/node@20.11.5", "icon@2x.png", "@babel/core@7.23.9", "logo@3x.webp"))))


def entry(i, query, say, cmd, out, tools=True):
    call = {"id": "call_%04x" % i, "type": "function",
            "function": {"name": "run_commands", "arguments": json.dumps({"command": cmd})}}
    resp = {"role": "assistant", "content": say, "tool_calls": [call]}
    e = {"timestamp": "2026-12-0%dT%02d:%02d:00Z" % (1 + i % 5, 8 + i % 10, i % 60),
         "model": "qwen2.5-coder:7b", "user_query": query,
         "model_response": json.dumps(resp), "tool_name": "run_commands",
         "arguments": json.dumps({"command": cmd}), "status": "success",
         "message": "Command executed successfully"}
    if out:
        e["output"] = out
    e["tools_enabled"] = tools
    e["rating"] = 4
    return e


def texts(v):
    """Every string of a value, and of the JSON inside its strings."""
    if isinstance(v, dict):
        for x in v.values():
            yield from texts(x)
    elif isinstance(v, list):
        for x in v:
            yield from texts(x)
    elif isinstance(v, str):
        yield v
        s = v.strip()
        if s[:1] in "{[":
            try:
                yield from texts(json.loads(s))
            except ValueError:
                pass


def main():
    scrub = sys.argv[1] if len(sys.argv) > 1 else "build/bin/tclog-scrub"
    verbose = "-v" in sys.argv[2:]
    steps = []      # (kind, step)
    for st in corpus.S:
        steps.append(("hand-written sessions", st))
    for kind, f, n in T:
        for _ in range(n):
            steps.append((kind, f()))
    for kind, f in L:
        for _ in range(12):
            steps.append((kind, f()))
    log = "".join(json.dumps(entry(i, *st[:4])) + "\n" for i, (_, st) in enumerate(steps))
    r = subprocess.run([scrub], input=log.encode(), capture_output=True)
    if r.returncode not in (0, 1):
        sys.exit("trial: %s failed: %s" % (scrub, r.stderr.decode()))
    lines = r.stdout.decode().splitlines()
    if len(lines) != len(steps):
        sys.exit("trial: %d entries in, %d out" % (len(steps), len(lines)))
    stats = {}
    misses = []
    for (kind, st), line in zip(steps, lines):
        text = "\n".join(texts(json.loads(line)))
        orig = "\n".join(texts(json.loads(json.dumps(entry(0, *st[:4])))))
        k = stats.setdefault(kind, [0, 0, 0, 0])
        for s in st[4]:
            k[0] += 1
            if s in text:
                k[1] += 1
                misses.append("MISSED  %s: %r in %r" % (kind, s, st[0] or st[1] or st[2]))
        for s in st[5]:
            k[2] += 1
            if text.count(s) < orig.count(s):
                k[3] += 1
                misses.append("DAMAGED %s: %r" % (kind, s))
    tot = [0, 0, 0, 0]
    print("%-42s %8s %7s %11s %7s" % ("kind", "secrets", "recall", "look-alikes", "damage"))
    for kind, (n, miss, nk, dam) in stats.items():
        for j, v in enumerate((n, miss, nk, dam)):
            tot[j] += v
        print("%-42s %8d %7s %11d %7s" % (
            kind, n, "%.0f%%" % (100 * (n - miss) / n) if n else "-",
            nk, "%.0f%%" % (100 * dam / nk) if nk else "-"))
    n, miss, nk, dam = tot
    print("%-42s %8d %6.1f%% %11d %6.1f%%" % ("all", n, 100 * (n - miss) / n, nk, 100 * dam / nk))
    if verbose:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
