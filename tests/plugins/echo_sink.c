/* echo_sink: a test plugin written in plain C99 against qiao/sdk/plugin_abi.h.
 *
 * Sink:   remote_id "echo-<idempotency_key>"; a payload holding "fail":true gives a permanent
 *         error, "flaky":true a transient one. business_key "ECHO-BACK" returns the record_json
 *         it received as remote_id; business_key "GARBAGE" returns text that is not JSON.
 * Source: two records in total; the watermark is the count already handed out.
 * Config: one required string field, prefix (shown in the health detail).
 *
 * Built twice: as echo_sink (thread_safe) and, with ECHO_SERIAL, as echo_serial, which says
 * "thread_safe": false and reports an error if the host ever calls it concurrently. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qiao/sdk/plugin_abi.h"

#ifdef ECHO_SERIAL
#define ECHO_NAME "echo_serial"
#define ECHO_THREAD_SAFE "false"
#else
#define ECHO_NAME "echo_sink"
#define ECHO_THREAD_SAFE "true"
#endif

#define EXPORT __attribute__((visibility("default")))

typedef struct {
  char name[128];
  char prefix[128];
} echo_instance;

static atomic_int live_instances;
#ifdef ECHO_SERIAL
/* Counts calls in flight; any overlap is remembered and fails every later delivery. */
static atomic_int in_flight;
static atomic_int overlaps;
static void enter(void) {
  if (atomic_fetch_add(&in_flight, 1) > 0) atomic_fetch_add(&overlaps, 1);
  struct timespec ts = {0, 200000}; /* widen the window in which an overlap would show */
  nanosleep(&ts, NULL);
}
static void leave(void) { atomic_fetch_sub(&in_flight, 1); }
static int overlapped(void) { return atomic_load(&overlaps) > 0; }
#else
static void enter(void) {}
static void leave(void) {}
static int overlapped(void) { return 0; }
#endif

static char* dup_str(const char* s) {
  size_t n = strlen(s) + 1;
  char* out = malloc(n);
  if (out) memcpy(out, s, n);
  return out;
}

/* Copies the string value of "key" (first occurrence, no escapes) into out. */
static int find_string(const char* json, const char* key, char* out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\"", key);
  const char* p = strstr(json, pat);
  if (!p) return 0;
  p += strlen(pat);
  while (*p == ' ' || *p == ':') ++p;
  if (*p != '"') return 0;
  ++p;
  size_t n = 0;
  while (*p && *p != '"' && n + 1 < cap) out[n++] = *p++;
  out[n] = '\0';
  return 1;
}

/* JSON-escapes s (quotes, backslashes, control characters) into a new string. */
static char* escape(const char* s) {
  char* out = malloc(strlen(s) * 6 + 1);
  char* o = out;
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') { *o++ = '\\'; *o++ = (char)c; }
    else if (c < 0x20) o += sprintf(o, "\\u%04x", c);
    else *o++ = (char)c;
  }
  *o = '\0';
  return out;
}

static void* echo_create(const char* instance_name, const char* config_json, char** error) {
  echo_instance* inst = calloc(1, sizeof *inst);
  if (!find_string(config_json, "prefix", inst->prefix, sizeof inst->prefix)) {
    free(inst);
    *error = dup_str("config field prefix is required");
    return NULL;
  }
  snprintf(inst->name, sizeof inst->name, "%s", instance_name);
  atomic_fetch_add(&live_instances, 1);
  return inst;
}

static void echo_destroy(void* instance) {
  atomic_fetch_sub(&live_instances, 1);
  free(instance);
}

/* Not part of the ABI: lets tests check that the host destroys every instance it creates. */
EXPORT int echo_live_instances(void) { return atomic_load(&live_instances); }

static char* echo_deliver(void* instance, const char* record_json) {
  (void)instance;
  char buf[512];
  enter();
  char* result;
  char key[256] = "";
  if (overlapped()) {
    result = dup_str("{\"error\":{\"class\":\"permanent\",\"message\":\"concurrent call\"}}");
  } else if (strstr(record_json, "\"business_key\":\"GARBAGE\"")) {
    result = dup_str("this is not json");
  } else if (strstr(record_json, "\"business_key\":\"ECHO-BACK\"")) {
    char* esc = escape(record_json);
    result = malloc(strlen(esc) + 32);
    sprintf(result, "{\"remote_id\":\"%s\"}", esc);
    free(esc);
  } else if (strstr(record_json, "\"fail\":true")) {
    result = dup_str("{\"error\":{\"class\":\"permanent\",\"message\":\"rejected: fail flag\"}}");
  } else if (strstr(record_json, "\"flaky\":true")) {
    result = dup_str("{\"error\":{\"class\":\"transient\",\"message\":\"try again\"}}");
  } else {
    find_string(record_json, "idempotency_key", key, sizeof key);
    snprintf(buf, sizeof buf, "{\"remote_id\":\"echo-%s\"}", key);
    result = dup_str(buf);
  }
  leave();
  return result;
}

static char* echo_poll(void* instance, const char* watermark, uint32_t max_records) {
  (void)instance;
  int from = watermark && *watermark ? atoi(watermark) : 0;
  int to = from + (int)max_records;
  if (to > 2) to = 2;
  if (to < from) to = from;
  char out[1024];
  size_t n = (size_t)snprintf(out, sizeof out, "{\"records\":[");
  for (int i = from + 1; i <= to; ++i) {
    n += (size_t)snprintf(out + n, sizeof out - n,
                          "%s{\"payload\":{\"n\":%d},\"entity\":\"order\",\"source_system\":"
                          "\"echo\",\"business_key\":\"E-%d\",\"idempotency_key\":\"echo-%d\","
                          "\"trace_id\":\"t-%d\"}",
                          i > from + 1 ? "," : "", i, i, i, i);
  }
  snprintf(out + n, sizeof out - n, "],\"watermark\":\"%d\",\"more\":%s}", to,
           to < 2 ? "true" : "false");
  return dup_str(out);
}

static char* echo_health(void* instance) {
  echo_instance* inst = instance;
  char buf[512];
  snprintf(buf, sizeof buf, "{\"healthy\":true,\"detail\":\"%s ok, prefix=%s\"}", inst->name,
           inst->prefix);
  return dup_str(buf);
}

static void echo_free_string(char* s) { free(s); }

static const qiao_plugin_v1 echo_plugin = {
    QIAO_PLUGIN_ABI_VERSION,
    "{\"name\":\"" ECHO_NAME "\",\"summary\":\"Echoes records back (test plugin)\","
    "\"maturity\":\"alpha\",\"kinds\":[\"sink\",\"source\"],\"thread_safe\":" ECHO_THREAD_SAFE ","
    "\"config\":[{\"name\":\"prefix\",\"type\":\"string\",\"required\":true,"
    "\"default\":\"\",\"description\":\"Shown in the health detail\",\"example\":\"demo\"}]}",
    echo_create,
    echo_destroy,
    echo_deliver,
    echo_poll,
    echo_health,
    echo_free_string,
};

EXPORT const qiao_plugin_v1* qiao_plugin_entry(uint32_t host_abi_version) {
  return host_abi_version == QIAO_PLUGIN_ABI_VERSION ? &echo_plugin : NULL;
}
