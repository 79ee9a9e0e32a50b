# bench/secrets.awk: a log dense with secrets, made from a generated one
# for tclog-scrub's bench: every record's output starts with two secrets
# of the kinds of tclog-scrub(1), a new pair for each record (the digits
# of its line number in each), among the look-alikes that must stay.
BEGIN {
	n = split("DB_PASSWORD=Hunter%dxy|" \
	    "mysql -u root -pS3cret%d shop|" \
	    "curl -u admin:'pw %d x' https://api.example.net/|" \
	    "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef%04d|" \
	    "AKIAQ3EGRJ7MZK%06d|" \
	    "CREATE USER 'app'@'%%' IDENTIFIED BY 'Tr0ub%d';|" \
	    "ALTER ROLE web WITH PASSWORD 'w3b-%d';|" \
	    "openssl rsa -in k.pem -passin pass:Rsa%dx|" \
	    "ipmitool -I lanplus -H bmc -U admin -P Ipmi%dx power status|" \
	    "ldapsearch -x -D cn=admin,dc=corp -w Ld4p%d -b dc=corp|" \
	    "smbclient //fs/share -U bob%%Smb%dpw|" \
	    "requirepass Redis%dpw|" \
	    "db1.corp.lan:5432:shop:app:Pgp%dss\\n|" \
	    "the root password on srv-nfs is Wint3r-%d|" \
	    "use Gr33n-%d as the password|" \
	    "export VAULT_TOKEN=hvs.CAESIJ3kZ8qT0LwXm2vR9yHcN5bE1uPaGfD7sKo%06d|" \
	    "echo 'bob:Passw0rd%d' | chpasswd|" \
	    "https://bob:Pa55-%d@git.example.org/r.git|" \
	    "Authorization: Bearer abcDEF123456ghi%d|" \
	    "sshpass -p Ssh%dpw ssh host|" \
	    "gpg --batch --passphrase G0-%d -d f.gpg|" \
	    "dev.%d@example.com|" \
	    "AKIAIOSFODNN7EXAMPLE getty@tty%d.service|" \
	    "ssh admin@web%d.example.com uptime|" \
	    "the password is wrong, try %d|" \
	    "passwd: all authentication tokens updated (%d)", snip, "|")
}
{
	i = NR % n + 1
	j = (NR * 7) % n + 1
	s = sprintf(snip[i], NR) " " sprintf(snip[j], NR) " "
	sub(/"output":"/, "\"output\":\"" s)
	print
}
