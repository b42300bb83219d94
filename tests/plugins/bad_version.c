/* bad_version: a complete plugin that claims ABI version 99; the host must refuse it. */
#include <stdlib.h>

#include "qiao/sdk/plugin_abi.h"

static void* bv_create(const char* n, const char* c, char** e) { (void)n; (void)c; (void)e; return NULL; }
static void bv_destroy(void* i) { (void)i; }
static char* bv_health(void* i) { (void)i; return NULL; }
static void bv_free(char* s) { free(s); }

static const qiao_plugin_v1 plugin = {
    99u,
    "{\"name\":\"bad_version\",\"kinds\":[\"sink\"],\"config\":[]}",
    bv_create, bv_destroy, NULL, NULL, bv_health, bv_free,
};

__attribute__((visibility("default"))) const qiao_plugin_v1* qiao_plugin_entry(uint32_t v) {
  (void)v;
  return &plugin;
}
