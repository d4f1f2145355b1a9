package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// svcDaemon is one real daemon of the svc host: how to prepare its files under its
// own directory and the command that runs it in the foreground (so the PID the lab
// records is the daemon's).
type svcDaemon struct {
	name    string
	prepare func(ctx context.Context, d string, env svcEnv) error
	command func(d string, env svcEnv) *exec.Cmd
}

// svcEnv is shared by the daemons' preparations.
type svcEnv struct {
	cert, key string // self-signed certificate for nginx and exim
	dir       string // the lab's temporary directory
}

func writeFiles(files map[string]string) error {
	for path, text := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// svcDaemons lists the daemons; each line of configuration says only what differs
// from the daemon's defaults and what keeps it away from system-wide paths.
var svcDaemons = []svcDaemon{
	{
		name: "sshd",
		prepare: func(ctx context.Context, d string, _ svcEnv) error {
			for _, t := range []string{"ed25519", "ecdsa"} {
				if err := run(ctx, "ssh-keygen", "-q", "-t", t, "-N", "", "-C", "scanfw-lab", "-f", filepath.Join(d, "host_"+t)); err != nil {
					return err
				}
			}
			return writeFiles(map[string]string{filepath.Join(d, "sshd_config"): fmt.Sprintf(`Port 22
ListenAddress 0.0.0.0
ListenAddress ::
HostKey %[1]s/host_ed25519
HostKey %[1]s/host_ecdsa
PidFile %[1]s/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AuthorizedKeysFile none
`, d)})
		},
		command: func(d string, _ svcEnv) *exec.Cmd {
			return exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(d, "sshd_config"))
		},
	},
	{
		name: "nginx",
		prepare: func(_ context.Context, d string, env svcEnv) error {
			return writeFiles(map[string]string{
				filepath.Join(d, "www", "index.html"): "<html><body>scanfw lab svc</body></html>\n",
				filepath.Join(d, "nginx.conf"): fmt.Sprintf(`user root root;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp-body;
	proxy_temp_path %[1]s/tmp-proxy;
	fastcgi_temp_path %[1]s/tmp-fastcgi;
	uwsgi_temp_path %[1]s/tmp-uwsgi;
	scgi_temp_path %[1]s/tmp-scgi;
	server {
		listen 80;
		listen [::]:80;
		listen 443 ssl;
		listen [::]:443 ssl;
		server_name svc.%[4]s;
		ssl_certificate %[2]s;
		ssl_certificate_key %[3]s;
		root %[1]s/www;
	}
}
`, d, env.cert, env.key, Zone),
			})
		},
		command: func(d string, _ svcEnv) *exec.Cmd {
			return exec.Command("/usr/sbin/nginx", "-e", filepath.Join(d, "error.log"), "-p", d, "-c", filepath.Join(d, "nginx.conf"), "-g", "daemon off;")
		},
	},
	{
		name: "redis",
		prepare: func(_ context.Context, d string, _ svcEnv) error {
			return writeFiles(map[string]string{filepath.Join(d, "redis.conf"): fmt.Sprintf(`port 6379
bind 0.0.0.0 ::
protected-mode no
daemonize no
dir %[1]s
save ""
appendonly no
logfile ""
`, d)})
		},
		command: func(d string, _ svcEnv) *exec.Cmd {
			return exec.Command("/usr/bin/redis-server", filepath.Join(d, "redis.conf"))
		},
	},
	{
		name: "postgres",
		prepare: func(ctx context.Context, d string, _ svcEnv) error {
			uid, gid, err := lookupUser("postgres")
			if err != nil {
				return err
			}
			if err := os.Chown(d, uid, gid); err != nil {
				return err
			}
			initdb := exec.CommandContext(ctx, filepath.Join(pgBin(), "initdb"), "-D", filepath.Join(d, "data"),
				"-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C")
			initdb.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			initdb.Dir = d
			if out, err := initdb.CombinedOutput(); err != nil {
				return fmt.Errorf("initdb: %w: %s", err, out)
			}
			hba, err := os.OpenFile(filepath.Join(d, "data", "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer hba.Close()
			_, err = hba.WriteString("host all all 0.0.0.0/0 trust\nhost all all ::/0 trust\n")
			return err
		},
		command: func(d string, _ svcEnv) *exec.Cmd {
			cmd := exec.Command(filepath.Join(pgBin(), "postgres"), "-D", filepath.Join(d, "data"),
				"-c", "listen_addresses=*", "-c", "port=5432", "-c", "unix_socket_directories="+d,
				"-c", "fsync=off", "-c", "logging_collector=off")
			uid, gid, _ := lookupUser("postgres")
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			cmd.Dir = d
			return cmd
		},
	},
	{
		name:    "memcached",
		prepare: func(context.Context, string, svcEnv) error { return nil },
		command: func(d string, _ svcEnv) *exec.Cmd {
			return exec.Command("/usr/bin/memcached", "-u", "root", "-p", "11211", "-U", "0", "-l", "0.0.0.0,[::]", "-m", "16")
		},
	},
	{
		name: "vsftpd",
		prepare: func(_ context.Context, d string, _ svcEnv) error {
			if err := os.MkdirAll(filepath.Join(d, "empty"), 0o755); err != nil {
				return err
			}
			return writeFiles(map[string]string{
				filepath.Join(d, "pub", "README"): "scanfw lab anonymous FTP\n",
				filepath.Join(d, "vsftpd.conf"): fmt.Sprintf(`listen=NO
listen_ipv6=YES
background=NO
anonymous_enable=YES
anon_root=%[1]s/pub
no_anon_password=YES
local_enable=NO
write_enable=NO
secure_chroot_dir=%[1]s/empty
xferlog_enable=NO
vsftpd_log_file=%[1]s/vsftpd.log
seccomp_sandbox=NO
pasv_min_port=40000
pasv_max_port=40100
`, d),
			})
		},
		command: func(d string, _ svcEnv) *exec.Cmd {
			return exec.Command("/usr/sbin/vsftpd", filepath.Join(d, "vsftpd.conf"))
		},
	},
	{
		name: "exim",
		prepare: func(_ context.Context, d string, env svcEnv) error {
			uid, gid, err := lookupUser("Debian-exim")
			if err != nil {
				return err
			}
			for _, sub := range []string{"spool", "log"} {
				if err := os.MkdirAll(filepath.Join(d, sub), 0o750); err != nil {
					return err
				}
				if err := os.Chown(filepath.Join(d, sub), uid, gid); err != nil {
					return err
				}
			}
			return writeFiles(map[string]string{filepath.Join(d, "exim.conf"): fmt.Sprintf(`primary_hostname = svc.%[4]s
daemon_smtp_ports = 25
keep_environment =
host_lookup =
rfc1413_hosts =
spool_directory = %[1]s/spool
log_file_path = %[1]s/log/%%slog
pid_file_path = %[1]s/exim.pid
tls_advertise_hosts = *
tls_certificate = %[2]s
tls_privatekey = %[3]s
acl_smtp_rcpt = refuse
begin acl
refuse:
  deny message = scanfw lab accepts no mail
`, d, env.cert, env.key, Zone)})
		},
		command: func(d string, _ svcEnv) *exec.Cmd {
			return exec.Command("/usr/sbin/exim4", "-C", filepath.Join(d, "exim.conf"), "-bdf", "-oX", "25")
		},
	},
	{
		name: "dnsmasq",
		prepare: func(_ context.Context, d string, _ svcEnv) error {
			return writeFiles(map[string]string{filepath.Join(d, "hosts"): zoneHosts()})
		},
		command: func(d string, _ svcEnv) *exec.Cmd {
			return exec.Command("/usr/sbin/dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
				"--no-resolv", "--no-hosts", "--no-poll", "--port=53", "--user=root",
				"--pid-file="+filepath.Join(d, "dnsmasq.pid"),
				"--addn-hosts="+filepath.Join(d, "hosts"),
				"--local=/"+Zone+"/", "--local=/18.198.in-addr.arpa/", "--local=/19.198.in-addr.arpa/",
				"--local=/8.b.d.0.1.0.0.2.ip6.arpa/", "--log-facility="+filepath.Join(d, "dnsmasq.log"))
		},
	},
	{
		name: "snmpd",
		prepare: func(_ context.Context, d string, _ svcEnv) error {
			return writeFiles(map[string]string{filepath.Join(d, "snmpd.conf"): `rocommunity public default
rocommunity6 public default
sysLocation scanfw lab
sysContact lab@` + Zone + `
sysName svc.` + Zone + `
`})
		},
		command: func(d string, _ svcEnv) *exec.Cmd {
			cmd := exec.Command("/usr/sbin/snmpd", "-f", "-C", "-c", filepath.Join(d, "snmpd.conf"),
				"-Lf", filepath.Join(d, "snmpd.log"), "-p", filepath.Join(d, "snmpd.pid"),
				"udp:0.0.0.0:161", "udp6:[::]:161")
			// Keep snmpd's persistent state out of /var/lib/snmp.
			cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+d, "MIBS=", "MIBDIRS="+d)
			return cmd
		},
	},
	{
		name: "chrony",
		prepare: func(_ context.Context, d string, _ svcEnv) error {
			return writeFiles(map[string]string{filepath.Join(d, "chrony.conf"): fmt.Sprintf(`port 123
allow all
local stratum 10
cmdport 0
bindcmdaddress /
pidfile %[1]s/chronyd.pid
`, d)})
		},
		command: func(d string, _ svcEnv) *exec.Cmd {
			// -x: serve time without ever touching the system clock.
			return exec.Command("/usr/sbin/chronyd", "-x", "-d", "-u", "root", "-f", filepath.Join(d, "chrony.conf"))
		},
	},
}

// zoneHosts renders the lab zone as a hosts file: dnsmasq answers A/AAAA and PTR
// for these names from it and for nothing outside the zone.
func zoneHosts() string {
	var b strings.Builder
	for _, h := range All {
		if len(h.Live) > 0 {
			for _, a := range h.Live {
				fmt.Fprintf(&b, "%s host%d.%s\n", a, a.As4()[3], h.FQDN())
			}
			continue
		}
		fmt.Fprintf(&b, "%s %s\n", h.V4, h.FQDN())
		if h.V6.IsValid() {
			fmt.Fprintf(&b, "%s %s\n", h.V6, h.FQDN())
		}
	}
	return b.String()
}

func lookupUser(name string) (int, int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, fmt.Errorf("user %s: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// pgBin is the newest installed PostgreSQL's bin directory.
func pgBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi < vj
	})
	if len(dirs) == 0 {
		return "/usr/lib/postgresql/15/bin"
	}
	return dirs[len(dirs)-1]
}

// sshdPrivsep is the directory sshd insists on for privilege separation; Debian's
// service creates it at boot, so the lab creates it only if absent and removes it
// in Down.
const sshdPrivsep = "/run/sshd"

func (u *upper) svc(ctx context.Context, h *Host) error {
	if _, err := os.Stat(sshdPrivsep); errors.Is(err, os.ErrNotExist) {
		if err := u.st.record(func(s *Record) { s.Created = append(s.Created, sshdPrivsep) }); err != nil {
			return err
		}
		if err := os.Mkdir(sshdPrivsep, 0o755); err != nil {
			return err
		}
	}
	base := filepath.Join(u.dir, "svc")
	env := svcEnv{cert: filepath.Join(base, "cert.pem"), key: filepath.Join(base, "key.pem"), dir: u.dir}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return err
	}
	if err := run(ctx, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-nodes", "-days", "30", "-subj", "/CN=svc."+Zone, "-keyout", env.key, "-out", env.cert); err != nil {
		return err
	}
	// exim reads the key after dropping root; it is a throw-away lab key.
	if err := os.Chmod(env.key, 0o644); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(svcDaemons))
	pids := make([]int, len(svcDaemons))
	for i, sd := range svcDaemons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := filepath.Join(base, sd.name)
			if err := os.MkdirAll(d, 0o755); err != nil {
				errs[i] = err
				return
			}
			if err := sd.prepare(ctx, d, env); err != nil {
				errs[i] = fmt.Errorf("prepare %s: %w", sd.name, err)
				return
			}
			pid, err := u.spawn(h.NS, sd.name, sd.command(d, env))
			if err != nil {
				errs[i] = fmt.Errorf("start %s: %w", sd.name, err)
			}
			pids[i] = pid
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var tcp, udp []uint16
	for _, p := range h.Ports {
		if p.Package == "" {
			continue
		}
		if p.Proto == "tcp" {
			tcp = append(tcp, p.Port)
		} else {
			udp = append(udp, p.Port)
		}
	}
	// Any svc PID sees the namespace's sockets; watch all so a daemon that dies
	// early is reported by name.
	if err := waitListening(ctx, pids[0], tcp, udp); err != nil {
		for i, pid := range pids {
			if _, alive := procStart(pid); !alive {
				err = fmt.Errorf("%w; %s exited: %s", err, svcDaemons[i].name, LogTail(u.dir, h.NS, svcDaemons[i].name))
			}
		}
		return err
	}
	return nil
}
