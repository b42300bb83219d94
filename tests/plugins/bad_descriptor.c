/* bad_descriptor: the right ABI version, but descriptor_json is not valid JSON. */
#include <stdlib.h>

#include "qiao/sdk/plugin_abi.h"

static void* bd_create(const char* n, const char* c, char** e) { (void)n; (void)c; (void)e; return NULL; }
static void bd_destroy(void* i) { (void)i; }
static char* bd_deliver(void* i, const char* r) { (void)i; (void)r; return NULL; }
static char* bd_health(void* i) { (void)i; return NULL; }
static void bd_free(char* s) { free(s); }

static const qiao_plugin_v1 plugin = {
    QIAO_PLUGIN_ABI_VERSION,
    "{\"name\":\"bad_descriptor\",\"kinds\":[\"sink\"",
    bd_create, bd_destroy, bd_deliver, NULL, bd_health, bd_free,
};

__attribute__((visibility("default"))) const qiao_plugin_v1* qiao_plugin_entry(uint32_t v) {
  (void)v;
  return &plugin;
}
