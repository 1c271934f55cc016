/* kubewire's node init: PID 1 of a node container. Reaps every orphan of the node's PID namespace
   (container processes are re-parented to it once `crun create` has exited) and records how each
   ended in EXITDIR/<pid> ("<exit code> <signal>"), which is how the kubelet learns a container's
   real exit code without a per-container shim. Exits on SIGTERM/SIGINT, which ends the namespace. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *exit_dir;
static volatile sig_atomic_t stop_requested;

static void on_term(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void on_child(int sig) { (void)sig; }

static void record(pid_t pid, int status) {
  char path[4096], tmp[4096], line[64];
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int signo = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (snprintf(path, sizeof path, "%s/%d", exit_dir, (int)pid) >= (int)sizeof path) return;
  if (snprintf(tmp, sizeof tmp, "%s/.%d.tmp", exit_dir, (int)pid) >= (int)sizeof tmp) return;
  int n = snprintf(line, sizeof line, "%d %d\n", code, signo);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t w = write(fd, line, (size_t)n);
  close(fd);
  if (w == n) rename(tmp, path);
  else unlink(tmp);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("kubewire-node-init 1");
    return 0;
  }
  if (argc != 2 || argv[1][0] != '/') {
    fprintf(stderr, "usage: node-init /ABSOLUTE/EXIT/DIR\n");
    return 2;
  }
  exit_dir = argv[1];
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  struct sigaction term = {0}, child = {0};
  term.sa_handler = on_term;
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGINT, &term, NULL) < 0 || sigaction(SIGTERM, &term, NULL) < 0 ||
      sigaction(SIGCHLD, &child, NULL) < 0) {
    perror("node-init: sigaction");
    return 1;
  }
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &old);
  for (;;) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) record(pid, status);
    if (stop_requested) return 0;
    sigsuspend(&old); /* wakes on SIGCHLD or SIGTERM, with no window to lose one */
  }
}
