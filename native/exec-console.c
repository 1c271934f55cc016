/* kubewire's exec console: what conmon and containerd-shim do for `exec -t`. Runs the OCI runtime
   (crun/runc `exec --tty --console-socket`) and receives the pty's master end over the console
   socket, sets the client's terminal size on it before relaying a byte, then relays
   stdin -> master and master -> stdout and applies resizes that arrive on fd 3 as "COLS ROWS\n"
   lines. Without it the runtime's own foreground terminal copies the size once from its caller's
   terminal and never again, and every keystroke crosses a second pty.
   End of stdin is sent as the terminal's EOF (^D); closing fd 3 hangs the terminal up (SIGHUP to
   the process, as a closed terminal window does). Exits with the runtime's exit code, which
   crun/runc exec make the process's own.
   With --ready PROGRAM the command's fd 3 is PROGRAM opened for reading (the runtime passes it
   into the container with --preserve-fds 1, and the process runs /proc/self/fd/3: tty-ready.c).
   With --no-stdin the terminal gets no input (fd 0 is not read; a container with tty but not stdin).
   With --detached the runtime exits once the process runs (runc: its `exec` takes a console socket
   only with --detach) and writes the process's pid to the file "@PIDFILE@" names: this is the
   child subreaper the orphaned process falls to, waits for it and exits with its exit code, as
   conmon does with runc (crun exec keeps the process as its child and passes its exit code on).
   usage: exec-console [--hold] [--no-stdin] [--detached] [--ready PROGRAM] COLS ROWS SOCKDIR -- RUNTIME ARGS...
   (an argument "@CONSOLE@" becomes the socket's path, "@PIDFILE@" the pid file's; SOCKDIR is a
   private folder, they live there while the runtime starts). With --hold the command is a `create` that exits once the container exists
   (an ephemeral container with a TTY): this then holds the terminal, as conmon does, says
   "created" on stderr, and relays until the container's last process closed it; the container's
   exit code is the node init's record, not this one's. The command's fd 3 is its stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int recv_fd(int sock) {
  char data[256];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return fd;
    }
  errno = EPROTO;
  return -1;
}

static void set_size(int master, long cols, long rows) {
  if (cols <= 0 || rows <= 0 || cols > 10000 || rows > 10000) return;
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  ioctl(master, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd pf = {.fd = fd, .events = POLLOUT};
      poll(&pf, 1, 1000);
      continue;
    }
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Applies every complete "COLS ROWS\n" line in buf; returns how many bytes stay unparsed. */
static size_t apply_resizes(int master, char *buf, size_t len) {
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (buf[i] != '\n') continue;
    buf[i] = 0;
    long c = 0, r = 0;
    if (sscanf(buf + start, "%ld %ld", &c, &r) == 2) set_size(master, c, r);
    start = i + 1;
  }
  memmove(buf, buf + start, len - start);
  return len - start;
}

int main(int argc, char **argv) {
  int hold = argc > 1 && strcmp(argv[1], "--hold") == 0;
  if (hold) {
    argv++;
    argc--;
  }
  int no_stdin = argc > 1 && strcmp(argv[1], "--no-stdin") == 0;
  if (no_stdin) {
    argv++;
    argc--;
  }
  int detached = argc > 1 && strcmp(argv[1], "--detached") == 0;
  if (detached) {
    argv++;
    argc--;
  }
  const char *ready = NULL;
  if (argc > 2 && strcmp(argv[1], "--ready") == 0) {
    ready = argv[2];
    argv += 2;
    argc -= 2;
  }
  if (argc < 6 || strcmp(argv[4], "--") != 0 || argv[3][0] != '/') {
    fprintf(stderr, "usage: exec-console COLS ROWS SOCKDIR -- RUNTIME ARGS...\n");
    return 2;
  }
  long cols = strtol(argv[1], NULL, 10), rows = strtol(argv[2], NULL, 10);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/console.%d", argv[3], (int)getpid()) >=
      (int)sizeof addr.sun_path) {
    fprintf(stderr, "exec-console: socket path too long\n");
    return 2;
  }
  mkdir(argv[3], 0700);
  unlink(addr.sun_path);
  int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lsock < 0 || bind(lsock, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lsock, 1) < 0) {
    perror("exec-console: console socket");
    return 126;
  }
  chmod(addr.sun_path, 0600);
  char pidfile[sizeof addr.sun_path];
  snprintf(pidfile, sizeof pidfile, "%s/pid.%d", argv[3], (int)getpid());
  char **child_argv = &argv[5];
  for (char **a = child_argv; *a; a++)
    if (strcmp(*a, "@CONSOLE@") == 0)
      *a = addr.sun_path;
    else if (strcmp(*a, "@PIDFILE@") == 0)
      *a = pidfile;
  /* Before the runtime runs: the process it leaves behind must fall to this one, not the node's init. */
  if (detached && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    perror("exec-console: PR_SET_CHILD_SUBREAPER");
    return 126;
  }
  signal(SIGPIPE, SIG_IGN);
  pid_t pid = fork();
  if (pid < 0) {
    perror("exec-console: fork");
    return 126;
  }
  if (pid == 0) {
    int rfd = ready ? open(ready, O_RDONLY) : -1;
    if (ready && rfd < 0) {
      perror("exec-console: --ready");
      _exit(126);
    }
    dup2(ready ? rfd : 2, 3);
    if (rfd > 3) close(rfd);
    execvp(child_argv[0], child_argv);
    perror("exec-console: exec");
    _exit(127);
  }
  /* The runtime sends the master once the pty exists; or it fails and exits first. */
  int master = -1;
  for (;;) {
    struct pollfd pf = {.fd = lsock, .events = POLLIN};
    int n = poll(&pf, 1, 200);
    if (n > 0) {
      int c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0) {
        master = recv_fd(c);
        close(c);
      }
      break;
    }
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) {
      unlink(addr.sun_path);
      unlink(pidfile);
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
  }
  close(lsock);
  unlink(addr.sun_path);
  if (master < 0) {
    perror("exec-console: receiving the terminal");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 126;
  }
  set_size(master, cols, rows);
  if (detached) {
    /* The runtime has sent the terminal; it exits once the process runs, leaving its pid. */
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
      ;
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    long child = 0;
    FILE *f = rc == 0 ? fopen(pidfile, "r") : NULL;
    if (f) {
      if (fscanf(f, "%ld", &child) != 1) child = 0;
      fclose(f);
    }
    unlink(pidfile);
    if (rc != 0) return rc;
    if (child <= 1) {
      fprintf(stderr, "exec-console: %s wrote no pid to %s\n", child_argv[0], pidfile);
      return 126;
    }
    pid = (pid_t)child;
  }
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);

  char buf[65536], ctl[256];
  size_t ctl_len = 0;
  int in_open = !no_stdin, ctl_open = 1, child_done = 0, status = 0;
  for (;;) {
    if (!child_done && pid > 0) {
      int st;
      if (waitpid(pid, &st, WNOHANG) == pid) {
        child_done = 1;
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (hold && status != 0) return status;
        if (hold) {
          write_all(2, "created\n", 8);
          child_done = 0;
          pid = -1;
        }
      }
    }
    struct pollfd pf[3] = {
        {.fd = master, .events = POLLIN},
        {.fd = in_open ? 0 : -1, .events = POLLIN},
        {.fd = ctl_open ? 3 : -1, .events = POLLIN},
    };
    /* Once the runtime has exited, what the process wrote is drained, then this ends. */
    int n = poll(pf, 3, child_done ? 0 : 100);
    if (n < 0 && errno == EINTR) continue;
    if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(master, buf, sizeof buf);
      if (r > 0) {
        if (write_all(1, buf, (size_t)r) < 0) break;
        continue;
      }
      if (r < 0 && errno == EAGAIN) continue;
      /* EIO: every process on the terminal is gone. */
      if (!child_done && pid > 0) {
        int st;
        waitpid(pid, &st, 0);
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      return status;
    }
    if (child_done && n == 0) return status;
    if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r > 0)
        write_all(master, buf, (size_t)r);
      else if (r == 0 || errno != EINTR) {
        in_open = 0;
        write_all(master, "\x04", 1);
      }
    }
    if (pf[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(3, ctl + ctl_len, sizeof ctl - 1 - ctl_len);
      if (r > 0) {
        ctl_len = apply_resizes(master, ctl, ctl_len + (size_t)r);
        if (ctl_len >= sizeof ctl - 1) ctl_len = 0;
      } else if (r == 0 || errno != EINTR) {
        /* The kubelet hung up: close the terminal, the process gets SIGHUP. */
        ctl_open = 0;
        close(master);
        if (pid <= 0) return status;
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
    }
  }
  return status;
}
