"""A sysadmin's sessions with the assistant, written from scratch for
tclog-scrub's new-user trial (issue 22): what an admin's day puts in a
tool-call log. Each step is (user's words, the model's words, the command,
its output, secrets, look-alikes): every secret must be gone from the
scrubbed entry, every look-alike must still be there, byte for byte.

None of this is derived from tclog's tests or from another corpus; the
secrets are made up (they look real so that the rules are put to the
test), and the look-alikes are what such sessions print and must keep.
"""

S = []


def step(query, say, cmd, out="", secrets=(), keep=()):
    S.append((query, say, cmd, out, list(secrets), list(keep)))


# ---- day 1: the database server ----
step("set up mysql for the shop app, user shop with password Sh0p-db-2024",
     "I'll create the database and the user.",
     "mysql -u root -e \"CREATE DATABASE shop; CREATE USER 'shop'@'10.0.2.%' "
     "IDENTIFIED BY 'Sh0p-db-2024'; GRANT ALL ON shop.* TO 'shop'@'10.0.2.%';\"",
     "", ["Sh0p-db-2024"], ["10.0.2.%", "CREATE DATABASE shop"])
step("the root password on db1 is Gl4cier!77, change it to something stronger",
     "I'll set a new root password.",
     "mysql -u root -p'Gl4cier!77' -e \"ALTER USER 'root'@'localhost' "
     "IDENTIFIED WITH caching_sha2_password BY 'v9Q#mT2x!Lr8';\"",
     "", ["Gl4cier!77", "v9Q#mT2x!Lr8"], ["caching_sha2_password"])
step("", "Checking the users.",
     "mysql -u root -p -e 'SELECT user, host, plugin FROM mysql.user'",
     "+------+-----------+-----------------------+\n| user | host      | plugin                |\n"
     "| root | localhost | caching_sha2_password |\n| shop | 10.0.2.%  | caching_sha2_password |\n",
     [], ["SELECT user, host, plugin FROM mysql.user", "caching_sha2_password"])
step("now postgres: a replication role, password rep-L1nk-55",
     "Creating the role with psql.",
     "sudo -u postgres psql -c \"CREATE ROLE replicator WITH REPLICATION LOGIN "
     "PASSWORD 'rep-L1nk-55';\"", "CREATE ROLE\n", ["rep-L1nk-55"],
     ["CREATE ROLE\n", "sudo -u postgres psql"])
step("", "And the application's role.",
     "sudo -u postgres psql -c \"ALTER ROLE webapp WITH ENCRYPTED PASSWORD "
     "'Wapp_8812_pg';\"", "ALTER ROLE\n", ["Wapp_8812_pg"],
     ["ALTER ROLE\n"])
step("", "Setting the search path is harmless:",
     "sudo -u postgres psql -c \"ALTER ROLE webapp SET search_path = 'shop';\"",
     "ALTER ROLE\n", [], ["search_path = 'shop'"])
step("store the password so cron can run pg_dump",
     "I'll write ~/.pgpass for the backup user.",
     "echo 'db1.corp.lan:5432:shop:backup:Bk-pg-0099' >> ~/.pgpass && chmod 600 ~/.pgpass",
     "", ["Bk-pg-0099"], ["chmod 600 ~/.pgpass"])
step("", "Here is the file now.", "cat ~/.pgpass",
     "db1.corp.lan:5432:shop:backup:Bk-pg-0099\n*:*:*:postgres:PgSup3r-user\n",
     ["Bk-pg-0099", "PgSup3r-user"], [])
step("", "", "ip link show eth0",
     "2: eth0: <BROADCAST,MULTICAST,UP> mtu 1500 qdisc fq_codel state UP\n"
     "    link/ether 52:54:00:3a:9f:c1 brd ff:ff:ff:ff:ff:ff\n", [],
     ["52:54:00:3a:9f:c1", "ff:ff:ff:ff:ff:ff"])
step("MariaDB on db2 uses the old syntax", "Using SET PASSWORD.",
     "mysql -h db2 -u root -pR00t-db2-old -e \"SET PASSWORD FOR 'app'@'%' = PASSWORD('App-db2-new');\"",
     "", ["R00t-db2-old", "App-db2-new"], ["mysql -h db2 -u root"])

# ---- day 1: redis, keepalived, ldap ----
step("protect redis with a password", "I'll set requirepass in redis.conf.",
     "sudo sed -i 's/^# requirepass foobared/requirepass Rd!s-9931-x/' /etc/redis/redis.conf",
     "", ["Rd!s-9931-x"], ["# requirepass foobared"])
step("", "Checking the running server.",
     "redis-cli -a 'Rd!s-9931-x' CONFIG GET maxmemory",
     "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n"
     "1) \"maxmemory\"\n2) \"0\"\n", ["Rd!s-9931-x"], ["CONFIG GET maxmemory"])
step("", "The replica needs the master's password.",
     "echo 'masterauth Rd!s-9931-x' | sudo tee -a /etc/redis/redis.conf",
     "masterauth Rd!s-9931-x\n", ["Rd!s-9931-x"], [])
step("configure keepalived for the VIP", "Writing keepalived.conf.",
     "sudo tee /etc/keepalived/keepalived.conf <<'EOF'\nvrrp_instance VI_1 {\n"
     "    state MASTER\n    interface eth0\n    virtual_router_id 51\n"
     "    authentication {\n        auth_type PASS\n        auth_pass Kv7rrp\n    }\n"
     "    virtual_ipaddress {\n        10.0.2.100/24\n    }\n}\nEOF",
     "", ["Kv7rrp"], ["auth_type PASS", "10.0.2.100/24", "virtual_router_id 51"])
step("find bob in ldap", "Searching the directory.",
     "ldapsearch -x -H ldap://ldap1.corp.lan -D 'cn=admin,dc=corp,dc=lan' -w 'Ld@p-adm1n' "
     "-b 'ou=people,dc=corp,dc=lan' '(uid=bob)' mail",
     "dn: uid=bob,ou=people,dc=corp,dc=lan\nmail: bob.jansen@corp-mail.example\n",
     ["Ld@p-adm1n", "bob.jansen@corp-mail.example"], ["ou=people,dc=corp,dc=lan"])
step("reset bob's ldap password to Spr1ng-Rain-4", "Using ldappasswd.",
     "ldappasswd -x -D cn=admin,dc=corp,dc=lan -w 'Ld@p-adm1n' -s 'Spr1ng-Rain-4' "
     "uid=bob,ou=people,dc=corp,dc=lan", "",
     ["Ld@p-adm1n", "Spr1ng-Rain-4"], [])
step("", "Without the password on the command line, ldapsearch asks for it:",
     "ldapsearch -x -W -D cn=admin,dc=corp,dc=lan -b dc=corp,dc=lan '(uid=alice)' cn",
     "Enter LDAP Password: \n", [], ["Enter LDAP Password: "])

# ---- day 2: the file server and the BMCs ----
step("list the shares on fs01 as bob, his password is Fs-b0b-333",
     "Listing with smbclient.",
     "smbclient -L //fs01.corp.lan -U 'CORP\\bob%Fs-b0b-333'",
     "\tSharename       Type      Comment\n\tpublic          Disk\n\tIPC$            IPC\n",
     ["Fs-b0b-333"], ["IPC$"])
step("", "Mounting it.",
     "sudo mount -t cifs //fs01.corp.lan/public /mnt/public -o username=bob,password=Fs-b0b-333,uid=1000",
     "", ["Fs-b0b-333"], ["uid=1000"])
step("power status of the three hosts, bmc admin password is Bmc#4412",
     "Querying each BMC with ipmitool.",
     "for h in bmc1 bmc2 bmc3; do ipmitool -I lanplus -H $h -U ADMIN -P 'Bmc#4412' chassis power status; done",
     "Chassis Power is on\nChassis Power is on\nChassis Power is off\n",
     ["Bmc#4412"], ["Chassis Power is on"])
step("", "Or with the environment variable:",
     "IPMI_PASSWORD=$BMC_PW ipmitool -I lanplus -H bmc1 -U ADMIN -E sdr list | head -3",
     "CPU Temp         | 41 degrees C      | ok\n", [], ["IPMI_PASSWORD=$BMC_PW", "41 degrees C"])

# ---- day 2: certificates and keys ----
step("export the cert for the windows guys, passphrase Pfx-Exp0rt-1",
     "Bundling with openssl.",
     "openssl pkcs12 -export -in web.crt -inkey web.key -out web.pfx -passout pass:Pfx-Exp0rt-1",
     "", ["Pfx-Exp0rt-1"], ["openssl pkcs12 -export"])
step("", "Removing the passphrase from the old key:",
     "openssl rsa -in old.key -out old-nopass.key -passin 'pass:Old K3y pass'",
     "writing RSA key\n", ["Old K3y pass"], ["writing RSA key"])
step("hash a password for /etc/shadow", "openssl can make a SHA-512 crypt hash.",
     "openssl passwd -6 -salt 8xQz 'Sh4dow-tmp-1'",
     "$6$8xQz$Zq0wQ3m0v7d0k2fM3wq2y1C3sQ4lA9nV8e2xR5bT6yH1uJ7kL0pO9iU8yT6rE5wQ4aS3dF2gH1jK0lZ9xC8vB7n.\n",
     ["Sh4dow-tmp-1", "Zq0wQ3m0v7d0k2fM3wq2y1C3sQ4lA9nV8e2xR5bT6yH1uJ7kL0pO9iU8yT6rE5wQ4aS3dF2gH1jK0lZ9xC8vB7n."], [])
step("", "Encrypting the dump:",
     "openssl enc -aes-256-cbc -pbkdf2 -salt -in shop.sql -out shop.sql.enc -k 'Dump-Enc-2024'",
     "", ["Dump-Enc-2024"], ["-aes-256-cbc -pbkdf2"])
step("decrypt last night's backup, the gpg passphrase is in my notes: Gpg-N1ght-B4ck",
     "Decrypting with gpg in batch mode.",
     "gpg --batch --yes --pinentry-mode loopback --passphrase 'Gpg-N1ght-B4ck' -o backup.tar -d backup.tar.gpg",
     "gpg: AES256.CFB encrypted data\ngpg: encrypted with 1 passphrase\n",
     ["Gpg-N1ght-B4ck"], ["gpg: AES256.CFB encrypted data"])
step("", "Next time the passphrase can come from a file:",
     "gpg --batch --passphrase-file /root/.backup-pass -d backup.tar.gpg > backup.tar",
     "", [], ["--passphrase-file /root/.backup-pass"])

# ---- day 2: users ----
step("create user carol with password Car0l-Welcome!", "Adding the user.",
     "sudo useradd -m -s /bin/bash carol && echo 'carol:Car0l-Welcome!' | sudo chpasswd",
     "", ["Car0l-Welcome!"], ["useradd -m -s /bin/bash carol"])
step("", "", "sudo passwd -e carol",
     "passwd: password expiry information changed.\n", [],
     ["passwd: password expiry information changed."])
step("", "Changing dave's password too.",
     "echo -e 'D4ve-new-pw\\nD4ve-new-pw' | sudo passwd dave",
     "New password: Retype new password: passwd: all authentication tokens updated successfully.\n",
     ["D4ve-new-pw"], ["passwd: all authentication tokens updated successfully."])
step("", "The getty on the serial console:",
     "systemctl status serial-getty@ttyS0.service getty@tty1.service --no-pager | head -2",
     "● serial-getty@ttyS0.service - Serial Getty on ttyS0\n", [],
     ["serial-getty@ttyS0.service", "getty@tty1.service"])

# ---- day 3: containers and cloud ----
step("log in to our registry, user deploy, token in the vault: dckr_pat_Vb8kQ2mN7xR4tY1wZ9cL3hJ6fG0",
     "Logging in with the token on stdin.",
     "echo 'dckr_pat_Vb8kQ2mN7xR4tY1wZ9cL3hJ6fG0' | docker login -u deploy --password-stdin registry.corp.lan",
     "Login Succeeded\n", ["dckr_pat_Vb8kQ2mN7xR4tY1wZ9cL3hJ6fG0"], ["Login Succeeded"])
step("", "Docker keeps the credentials here:", "cat ~/.docker/config.json",
     "{\n\t\"auths\": {\n\t\t\"registry.corp.lan\": {\n\t\t\t\"auth\": \"ZGVwbG95OmRja3JfcGF0X1ZiOGtRMm1ON3hSNHRZMXdaOWNMM2hKNmZHMA==\"\n\t\t}\n\t}\n}\n",
     ["ZGVwbG95OmRja3JfcGF0X1ZiOGtRMm1ON3hSNHRZMXdaOWNMM2hKNmZHMA=="], ["registry.corp.lan"])
step("run postgres with the password as a podman secret", "Creating the secret from a file.",
     "podman secret create pg_pass ./pg_pass.txt && podman run -d --name pg --secret pg_pass,type=env,target=POSTGRES_PASSWORD postgres:16",
     "a1b2c3d4e5f6\n", [], ["--secret pg_pass,type=env,target=POSTGRES_PASSWORD", "podman secret create pg_pass"])
step("", "The cluster's kubeconfig:", "cat ~/.kube/config",
     "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=\n"
     "    server: https://10.0.2.10:6443\n  name: lab\nusers:\n- name: admin\n  user:\n"
     "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURJVEND\n"
     "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB\n"
     "- name: ci\n  user:\n    token: kx7Vq2.9dLm3pR8tW1zY4cB6\n",
     ["LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB", "kx7Vq2.9dLm3pR8tW1zY4cB6"],
     ["https://10.0.2.10:6443", "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM="])
step("set up doctl, my token is dop_v1_4e8a1c9f3b7d2e6a0c5f8b1d4e7a2c9f6b3d0e8a5c2f9b6d3e0a7c4f1b8d5e2a",
     "Initialising doctl.",
     "doctl auth init -t dop_v1_4e8a1c9f3b7d2e6a0c5f8b1d4e7a2c9f6b3d0e8a5c2f9b6d3e0a7c4f1b8d5e2a",
     "Validating token... OK\n",
     ["dop_v1_4e8a1c9f3b7d2e6a0c5f8b1d4e7a2c9f6b3d0e8a5c2f9b6d3e0a7c4f1b8d5e2a"], ["Validating token... OK"])
step("mount the bucket with s3fs", "Writing the credentials file s3fs reads.",
     "echo 'AKIA4HVQ7ZP2MXK3RWTN:q8Vz3Lm1Rt6Yw0Nc5Kp9Xb2Hd7Jf4Sg1Ua8Ee3Oi' > ~/.passwd-s3fs && chmod 600 ~/.passwd-s3fs",
     "", ["AKIA4HVQ7ZP2MXK3RWTN", "q8Vz3Lm1Rt6Yw0Nc5Kp9Xb2Hd7Jf4Sg1Ua8Ee3Oi"], [])
step("", "The documentation's example keys, for the config template:",
     "cat > aws-example.ini <<'EOF'\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
     "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nEOF", "",
     [], ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"])
step("", "Configuring the CLI:",
     "aws configure set aws_secret_access_key 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 --profile lab",
     "", ["q8Vz3Lm1Rt6Yw0Nc5Kp9Xb2Hd7Jf4Sg1Ua8Ee3Oi"], ["--profile lab"])
step("vault login", "Exporting the token for this shell.",
     "export VAULT_ADDR=https://vault.corp.lan:8200 VAULT_TOKEN=hvs.CAESIMk4vQz7pLx2RtW9nYb3cHd6Jf1Gs8Ua5Ee0Oi3Kq && vault status",
     "Sealed          false\nVersion         1.15.2\n",
     ["hvs.CAESIMk4vQz7pLx2RtW9nYb3cHd6Jf1Gs8Ua5Ee0Oi3Kq"], ["https://vault.corp.lan:8200", "Version         1.15.2"])

# ---- day 3: CI, packages, webhooks ----
step("publish the package with poetry, pypi token pypi-AgEIcHlwaS5vcmcCJDFhMmIzYzRkLTVlNmYtN2E4Yi05YzBkLWUxZjJhM2I0YzVkNgACKlszLCJ4eXoiXQ",
     "Configuring poetry with the token.",
     "poetry config pypi-token.pypi pypi-AgEIcHlwaS5vcmcCJDFhMmIzYzRkLTVlNmYtN2E4Yi05YzBkLWUxZjJhM2I0YzVkNgACKlszLCJ4eXoiXQ && poetry publish --build",
     "Publishing corp-tools (1.4.0) to PyPI\n",
     ["pypi-AgEIcHlwaS5vcmcCJDFhMmIzYzRkLTVlNmYtN2E4Yi05YzBkLWUxZjJhM2I0YzVkNgACKlszLCJ4eXoiXQ"],
     ["Publishing corp-tools (1.4.0) to PyPI"])
step("", "The private index too:",
     "poetry config http-basic.corp ci 'Ci-Index-Pw7'", "", ["Ci-Index-Pw7"], [])
step("notify the team channel when backups finish", "Adding a Telegram notification.",
     "curl -s -X POST \"https://api.telegram.org/bot6412983570:AAFq3Vz8kLm2Rt7Yw1Nc6Xp4Hd9Jb0Gs5Ue/sendMessage\" -d chat_id=-100123 -d text=done",
     "{\"ok\":true}\n", ["6412983570:AAFq3Vz8kLm2Rt7Yw1Nc6Xp4Hd9Jb0Gs5Ue"], ["chat_id=-100123"])
step("", "Storing the webhook in the app's settings:",
     "cat settings.json",
     "{\"slack_webhook_secret\": \"https://hooks.slack.com/services/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\", \"retries\": 3}\n",
     ["Qm7Vx2Lz9Rt4Yw1Nc8Kp3Hd6"], ["\"retries\": 3"])
step("install the datadog agent with key 7c1e9a3f5b2d8e4a6c0f1b3d5e7a9c2f", "Setting the API key.",
     "sudo sed -i 's/^api_key:.*/api_key: 7c1e9a3f5b2d8e4a6c0f1b3d5e7a9c2f/' /etc/datadog-agent/datadog.yaml",
     "", ["7c1e9a3f5b2d8e4a6c0f1b3d5e7a9c2f"], ["/etc/datadog-agent/datadog.yaml"])
step("", "Mailgun for the alerts:",
     "echo 'MAILGUN_API_KEY=key-9b3f1d7a5c2e8b4d6f0a1c3e5b7d9f2a' | sudo tee -a /etc/alerts.env",
     "", ["key-9b3f1d7a5c2e8b4d6f0a1c3e5b7d9f2a"], ["/etc/alerts.env"])
step("", "And the shop's Shopify app token:",
     "export SHOPIFY_ACCESS_TOKEN=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",
     "", ["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"], [])
step("put the weather api key in my bashrc: c0ffee5b1d-4e7a", "Appending the export.",
     "echo 'export WEATHER_API_KEY=\"c0ffee5b1d-4e7a\"' >> ~/.bashrc",
     "", ["c0ffee5b1d-4e7a"], [">> ~/.bashrc"])
step("", "The database URL for the worker, in the env file:",
     "printf 'DB_PASSWORD=orange.kite.river\\nDB_HOST=db1.corp.lan\\n' > /etc/worker.env",
     "", ["orange.kite.river"], ["DB_HOST=db1.corp.lan"])
step("", "Placeholders in the template stay as they are:",
     "cat .env.example",
     "GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\nSTRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\nDB_PASSWORD=changeme\n",
     [], ["ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "DB_PASSWORD=changeme"])
step("trigger the CI job", "Calling Jenkins with the API token.",
     "curl -u ci-bot:'11a3f9c2e7 b5d' -X POST https://jenkins.corp.lan/job/deploy/build",
     "", ["11a3f9c2e7 b5d"], ["https://jenkins.corp.lan/job/deploy/build"])

# ---- day 4: ssh, rsync, expect, prose ----
step("copy the backups to the NAS", "Using rsync over ssh.",
     "rsync -avz /srv/backups/ backup@nas01.corp.example:/volume1/backups/",
     "sent 1,204,331 bytes  received 2,117 bytes\n", [],
     ["backup@nas01.corp.example:/volume1/backups/"])
step("", "Checking the NAS's disk:", "ssh admin@nas01.corp.example df -h /volume1",
     "/dev/md2  7.3T  4.1T  3.2T  57% /volume1\n", [], ["admin@nas01.corp.example"])
step("", "", "scp /etc/nginx/nginx.conf ops@web02.corp.example:/tmp/", "", [],
     ["ops@web02.corp.example:/tmp/"])
step("", "", "git clone ssh://git@git.corp.example/infra/ansible.git", "", [],
     ["ssh://git@git.corp.example/infra/ansible.git"])
step("the switch only takes telnet, automate the login; its password is Sw1tch-Cfg!",
     "An expect script for the switch:",
     "cat > sw.exp <<'EOF'\nspawn telnet 10.0.2.2\nexpect \"Username:\"\nsend \"admin\\r\"\n"
     "expect \"Password:\"\nsend \"Sw1tch-Cfg!\\r\"\nexpect \"#\"\nsend \"show vlan\\r\"\nEOF",
     "", ["Sw1tch-Cfg!"], ["send \"show vlan\\r\"", "spawn telnet 10.0.2.2"])
step("what was the wifi password for the guest network again? I think it was Guest-Net-2024",
     "The guest network's password is `Guest-Net-2024`; it is in the NetworkManager profile.",
     "nmcli -s -g 802-11-wireless-security.psk connection show Guest", "Guest-Net-2024\n",
     ["Guest-Net-2024"], [])
step("my sudo password is Kett1e-Blu3, why does apt fail?",
     "Let me look at the error first.",
     "echo 'Kett1e-Blu3' | sudo -S apt-get update 2>&1 | tail -2",
     "E: Could not get lock /var/lib/dpkg/lock-frontend\n", ["Kett1e-Blu3"],
     ["E: Could not get lock /var/lib/dpkg/lock-frontend"])
step("use Tr4in-Room-9 as the password for the training account",
     "Setting it with chpasswd.",
     "echo 'trainee:Tr4in-Room-9' | sudo chpasswd", "", ["Tr4in-Room-9"], [])
step("the password for the printer admin page was reset to Pr1nt-Adm1n",
     "Noted; I'll log in to check the toner levels.",
     "curl -s -u admin:Pr1nt-Adm1n http://printer1.corp.lan/status | grep -i toner",
     "Toner: 23%\n", ["Pr1nt-Adm1n"], ["Toner: 23%"])
step("the pin for the server room door is 4719", "I can't open doors, but I noted it.",
     "", "", ["4719"], [])
step("why does it say the password is wrong?",
     "The password is wrong or the account is locked; the log shows which.",
     "sudo grep 'authentication failure' /var/log/auth.log | tail -1",
     "Dec  4 09:12:44 srv1 sshd[4412]: pam_unix(sshd:auth): authentication failure; logname= uid=0 rhost=10.0.2.77 user=bob\n",
     [], ["the password is wrong", "The password is wrong or the account is locked", "authentication failure"])
step("", "The token limit of the model is 4096 tokens; the API key is stored in Vault.",
     "", "", [], ["The token limit of the model is 4096 tokens; the API key is stored in Vault."])
step("", "Checking the timer units:", "systemctl list-timers 'backup@*'",
     "Thu 2026-12-05 02:00:00 CET  backup@daily.timer  backup@daily.service\n", [],
     ["backup@daily.timer", "backup@daily.service"])
step("", "Mail the report to the admins:",
     "mail -s 'backup report' admins@corp-mail.example < /tmp/report.txt", "",
     ["admins@corp-mail.example"], ["backup report"])
