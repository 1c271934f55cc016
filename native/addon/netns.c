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
#include <node_api.h>

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

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "withNetns", NAPI_AUTO_LENGTH, with_netns, NULL, &fn);
  napi_set_named_property(env, exports, "withNetns", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
