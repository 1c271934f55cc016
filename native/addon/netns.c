// netns.node: runs a JavaScript callback with the calling thread inside another network namespace,
// then puts the thread back. A socket keeps the namespace it was created in, so a netlink (or any)
// socket opened inside the callback reads and watches that namespace for as long as it lives: one
// process can hold sockets in every lab namespace, where `ip monitor`/`ip -j` needed a process each.
// (Go's vishvananda/netns does the same with LockOSThread + setns.)
// Only the calling thread moves (setns(2) on CLONE_NEWNET is per thread); the callback runs
// synchronously on it, so no other JavaScript can run while the thread is away. If the way back
// fails the process aborts: a thread left in a lab namespace would open later sockets there.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <node_api.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

extern char **environ;

static napi_value throw_errno(napi_env env, const char *what, const char *path, int err) {
  char msg[4096 + 128];
  snprintf(msg, sizeof msg, "%s %s: %s", what, path, strerror(err));
  napi_throw_error(env, err == ENOENT ? "ENOENT" : "ESETNS", msg);
  return NULL;
}

// withNetns(path, fn): fn() with this thread in the network namespace that `path` names
// (/run/netns/<name>, /proc/<pid>/ns/net); returns what fn returns, rethrows what it throws.
static napi_value with_netns(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "withNetns(path, fn)");
    return NULL;
  }
  char path[4096];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len == 0 ||
      len >= sizeof path - 1) {
    napi_throw_type_error(env, NULL, "withNetns: path must be a non-empty string");
    return NULL;
  }
  napi_valuetype t;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "withNetns: fn must be a function");
    return NULL;
  }
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return throw_errno(env, "open", "/proc/thread-self/ns/net", errno);
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int e = errno;
    close(self);
    return throw_errno(env, "open", path, e);
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int e = errno;
    close(target);
    close(self);
    return throw_errno(env, "setns", path, e);
  }
  close(target);
  napi_value global, result = NULL;
  napi_get_global(env, &global);
  napi_status st = napi_call_function(env, global, argv[1], 0, NULL, &result);
  if (setns(self, CLONE_NEWNET) != 0) {
    fprintf(stderr, "netns.node: cannot return to the original network namespace: %s\n", strerror(errno));
    abort();
  }
  close(self);
  if (st != napi_ok) return NULL; // the callback's exception is pending: it propagates
  return result;
}

// --- Starting short-lived programs without fork(2) ---------------------------------------------
// The cluster process (apiserver, store, every kubelet) is a large Node process: libuv's fork()
// copies its page tables on the main thread for every crun, nsenter and helper it starts (~40-50 ms
// each under load). posix_spawn(3) in glibc uses clone(CLONE_VM | CLONE_VFORK): no copy, the
// parent waits only until the child has exec'd. Exit statuses are collected with waitpid(WNOHANG)
// (libuv reaps only the children it started itself).

static int get_string(napi_env env, napi_value v, char **out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return -1;
  *out = malloc(len + 1);
  if (!*out) return -1;
  napi_get_value_string_utf8(env, v, *out, len + 1, &len);
  return 0;
}

// spawn(file, argv[], fds[], [netns]) -> Promise<pid>: fds[i] >= 0 becomes the child's fd i, -1 is
// /dev/null there. With `netns` (a path: /run/netns/NAME) the child is born in that network
// namespace: the pool thread setns's into it around posix_spawn and back (aborting if it cannot
// return, as withNetns does), so no `nsenter` or `ip netns exec` process goes in front. Signal dispositions are reset to their defaults and the mask emptied (as libuv
// does). posix_spawn runs on a thread of libuv's pool: CLONE_VFORK suspends the calling thread until
// the child has exec'd, which on a loaded machine can take a while, and that must not be the event
// loop's thread. Rejects with errno's text when the program cannot run.
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *file;
  char **args;
  uint32_t nargs;
  int *fds;
  uint32_t nfds;
  char *netns;
  pid_t pid;
  int err;
  int err_in_setns;
} spawn_job;

static void spawn_execute(napi_env env, void *data) {
  (void)env;
  spawn_job *j = data;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  for (uint32_t i = 0; i < j->nfds; i++) {
    if (j->fds[i] >= 0) posix_spawn_file_actions_adddup2(&fa, j->fds[i], (int)i);
    else posix_spawn_file_actions_addopen(&fa, (int)i, "/dev/null", O_RDWR, 0);
  }
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  int self = -1;
  if (j->netns) {
    // Only this pool thread moves; the child inherits its namespace (clone from this thread).
    self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = self < 0 ? -1 : open(j->netns, O_RDONLY | O_CLOEXEC);
    if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
      j->err = errno ? errno : EIO;
      j->err_in_setns = 1;
      if (target >= 0) close(target);
      if (self >= 0) close(self);
      posix_spawn_file_actions_destroy(&fa);
      posix_spawnattr_destroy(&attr);
      return;
    }
    close(target);
  }
  j->err = posix_spawn(&j->pid, j->file, &fa, &attr, j->args, environ);
  if (j->netns) {
    if (setns(self, CLONE_NEWNET) != 0) {
      fprintf(stderr, "netns.node: spawn cannot return to the original network namespace: %s\n", strerror(errno));
      abort();
    }
    close(self);
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
}

static void spawn_free(spawn_job *j) {
  for (uint32_t i = 0; i < j->nargs; i++) free(j->args[i]);
  free(j->args);
  free(j->fds);
  free(j->file);
  free(j->netns);
  free(j);
}

static void spawn_complete(napi_env env, napi_status status, void *data) {
  spawn_job *j = data;
  napi_value v;
  if (status == napi_ok && j->err == 0) {
    napi_create_int32(env, j->pid, &v);
    napi_resolve_deferred(env, j->deferred, v);
  } else {
    char msg[4096 + 128];
    if (j->err_in_setns)
      snprintf(msg, sizeof msg, "spawn %s: cannot enter network namespace %s: %s", j->file, j->netns,
               strerror(j->err));
    else
      snprintf(msg, sizeof msg, "spawn %s: %s", j->file, strerror(j->err ? j->err : EIO));
    napi_value m, code;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_string_utf8(env, j->err == ENOENT ? "ENOENT" : "ESPAWN", NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, m, &v);
    napi_reject_deferred(env, j->deferred, v);
  }
  napi_delete_async_work(env, j->work);
  spawn_free(j);
}

static napi_value spawn_fast(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || argc > 4) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, fds, [netns])");
    return NULL;
  }
  spawn_job *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, "spawn", "", ENOMEM);
  if (get_string(env, argv[0], &j->file) != 0) {
    spawn_free(j);
    napi_throw_type_error(env, NULL, "spawn: file must be a string");
    return NULL;
  }
  if (argc == 4 && (get_string(env, argv[3], &j->netns) != 0 || j->netns[0] != '/')) {
    spawn_free(j);
    napi_throw_type_error(env, NULL, "spawn: netns must be an absolute path");
    return NULL;
  }
  napi_get_array_length(env, argv[1], &j->nargs);
  napi_get_array_length(env, argv[2], &j->nfds);
  j->args = calloc(j->nargs + 1, sizeof(char *));
  j->fds = calloc(j->nfds + 1, sizeof(int));
  for (uint32_t i = 0; i < j->nargs; i++) {
    napi_value el;
    napi_get_element(env, argv[1], i, &el);
    if (get_string(env, el, &j->args[i]) != 0) {
      spawn_free(j);
      napi_throw_type_error(env, NULL, "spawn: argv must hold strings");
      return NULL;
    }
  }
  for (uint32_t i = 0; i < j->nfds; i++) {
    napi_value el;
    napi_get_element(env, argv[2], i, &el);
    napi_get_value_int32(env, el, &j->fds[i]);
    // dup2s run in order: a source fd below its target was already replaced by then.
    if (j->fds[i] >= 0 && j->fds[i] < (int)i) {
      spawn_free(j);
      napi_throw_range_error(env, NULL, "spawn: a parent fd below its target fd would be overwritten first");
      return NULL;
    }
  }
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "kubewire-spawn", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, spawn_execute, spawn_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

// reap(pid): undefined while the child runs; else [exit code or -1, signal number or 0].
static napi_value reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t pid = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 1 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "reap(pid)");
    return NULL;
  }
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  napi_value undef;
  napi_get_undefined(env, &undef);
  if (r == 0) return undef;
  if (r < 0) return throw_errno(env, "waitpid", "child", errno);
  napi_value out, code, sig;
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, WIFEXITED(status) ? WEXITSTATUS(status) : -1, &code);
  napi_create_int32(env, WIFSIGNALED(status) ? WTERMSIG(status) : 0, &sig);
  napi_set_element(env, out, 0, code);
  napi_set_element(env, out, 1, sig);
  return out;
}

// pipe(): [read end, write end], both close-on-exec (a child gets one only through spawn's fds).
static napi_value make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return throw_errno(env, "pipe2", "", errno);
  napi_value out, a, b;
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, p[0], &a);
  napi_create_int32(env, p[1], &b);
  napi_set_element(env, out, 0, a);
  napi_set_element(env, out, 1, b);
  return out;
}

// mkfifo(path, mode): a FIFO without a mkfifo(1) process.
static napi_value make_fifo(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  size_t len = 0;
  int32_t mode = 0600;
  if (argc != 2 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len == 0 ||
      len >= sizeof path - 1 || napi_get_value_int32(env, argv[1], &mode) != napi_ok) {
    napi_throw_type_error(env, NULL, "mkfifo(path, mode)");
    return NULL;
  }
  if (mkfifo(path, (mode_t)mode) != 0) return throw_errno(env, "mkfifo", path, errno);
  return NULL;
}

static napi_value throw_sock(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "ESOCKET", msg);
  return NULL;
}

static napi_value fd_value(napi_env env, int fd) {
  napi_value v;
  napi_create_int32(env, fd, &v);
  return v;
}

// tcpSocket(): a new, unconnected IPv4 TCP socket's fd (close-on-exec), created in the calling
// thread's network namespace: called inside withNetns, the socket lives in that namespace (the
// caller wraps it in a net.Socket and connects it, as Go's netns.Do + net.Dial does).
static napi_value tcp_socket(napi_env env, napi_callback_info info) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_sock(env, "socket", errno);
  return fd_value(env, fd);
}

// tcpListen(address, port): a listening IPv4 TCP socket bound to address:port (SO_REUSEADDR),
// in the calling thread's network namespace; the caller hands the fd to net.Server.listen({fd}).
static napi_value tcp_listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char addr[64];
  size_t len = 0;
  int32_t port = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &len) != napi_ok ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 1 || port > 65535) {
    napi_throw_type_error(env, NULL, "tcpListen(address, port)");
    return NULL;
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
    napi_throw_type_error(env, NULL, "tcpListen: address must be an IPv4 address");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_sock(env, "socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 511) != 0) {
    int e = errno;
    close(fd);
    char what[128];
    snprintf(what, sizeof what, "listen on %s:%d", addr, (int)port);
    return throw_sock(env, what, e);
  }
  return fd_value(env, fd);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "withNetns", NAPI_AUTO_LENGTH, with_netns, NULL, &fn);
  napi_set_named_property(env, exports, "withNetns", fn);
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, spawn_fast, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_create_function(env, "reap", NAPI_AUTO_LENGTH, reap, NULL, &fn);
  napi_set_named_property(env, exports, "reap", fn);
  napi_create_function(env, "pipe", NAPI_AUTO_LENGTH, make_pipe, NULL, &fn);
  napi_set_named_property(env, exports, "pipe", fn);
  napi_create_function(env, "mkfifo", NAPI_AUTO_LENGTH, make_fifo, NULL, &fn);
  napi_set_named_property(env, exports, "mkfifo", fn);
  napi_create_function(env, "tcpSocket", NAPI_AUTO_LENGTH, tcp_socket, NULL, &fn);
  napi_set_named_property(env, exports, "tcpSocket", fn);
  napi_create_function(env, "tcpListen", NAPI_AUTO_LENGTH, tcp_listen, NULL, &fn);
  napi_set_named_property(env, exports, "tcpListen", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
