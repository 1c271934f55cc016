/* kubewire's tty-ready: the first program of an `exec -t` process, run from the file descriptor
   the exec console passes (crun exec --preserve-fds 1, args "/proc/self/fd/3 CMD ARGS..."), so
   the container's image needs nothing of ours. It waits until its terminal has a size, then
   closes fd 3 and execs CMD in its place (same pid, environment, user, capabilities).
   Why: runc sets an exec's consoleSize in the container before it execs the command; crun 1.8.1
   sets it from its parent after it has let the command start, so a command that reads its size
   at its very first instant (`stty size`, `tput cols`, a full-screen program) could see 0 0 on a
   loaded machine. The parent's size change raises SIGWINCH in the terminal's foreground group,
   which this process is: it waits for that signal (at most 2 s, then runs CMD anyway).
   A command that cannot be run gets crun's message and exit code (255). Static, no libc beyond what -static-pie links. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int has_size(void) {
  struct winsize ws;
  return ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tty-ready CMD [ARGS...]\n");
    return 126;
  }
  sigset_t winch, old;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  sigprocmask(SIG_BLOCK, &winch, &old);
  if (isatty(0)) {
    struct timespec until, now;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 2;
    while (!has_size()) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      long ms = (until.tv_sec - now.tv_sec) * 1000 + (until.tv_nsec - now.tv_nsec) / 1000000;
      if (ms <= 0) break;
      /* In short slices: the signal is the fast path, the size itself is what counts. */
      struct timespec slice = {.tv_sec = 0, .tv_nsec = (ms < 20 ? ms : 20) * 1000000L};
      sigtimedwait(&winch, NULL, &slice);
    }
  }
  /* The command starts with the caller's mask (a pending SIGWINCH is dropped: ignored by default). */
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(3);
  execvp(argv[1], &argv[1]);
  /* What crun says (and its exit code) when the command cannot be run. */
  int e = errno;
  if (e == ENOENT)
    fprintf(stderr, "executable file `%s` not found in $PATH: %s\n", argv[1], strerror(e));
  else
    fprintf(stderr, "exec `%s`: %s\n", argv[1], strerror(e));
  return 255;
}
