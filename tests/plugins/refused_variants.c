/* Plugins the host must refuse for what their descriptor and table say, one per build:
 *   BAD_FIELD_TYPE   a config field of type "blob"
 *   MISSING_DELIVER  kinds ["sink"] but no deliver function
 *   CLASH_BUILTIN    named "http", like a built-in connector */
#include <stdlib.h>

#include "qiao/sdk/plugin_abi.h"

static void* rv_create(const char* n, const char* c, char** e) { (void)n; (void)c; (void)e; return NULL; }
static void rv_destroy(void* i) { (void)i; }
__attribute__((unused)) static char* rv_deliver(void* i, const char* r) { (void)i; (void)r; return NULL; }
static char* rv_health(void* i) { (void)i; return NULL; }
static void rv_free(char* s) { free(s); }

#if defined(BAD_FIELD_TYPE)
#define DESCRIPTOR \
  "{\"name\":\"bad_field_type\",\"kinds\":[\"sink\"],\"config\":[{\"name\":\"blobby\",\"type\":\"blob\"}]}"
#define DELIVER rv_deliver
#elif defined(MISSING_DELIVER)
#define DESCRIPTOR "{\"name\":\"missing_deliver\",\"kinds\":[\"sink\"],\"config\":[]}"
#define DELIVER NULL
#elif defined(CLASH_BUILTIN)
#define DESCRIPTOR "{\"name\":\"http\",\"kinds\":[\"sink\"],\"config\":[]}"
#define DELIVER rv_deliver
#else
#error "define one variant"
#endif

static const qiao_plugin_v1 plugin = {
    QIAO_PLUGIN_ABI_VERSION, DESCRIPTOR, rv_create, rv_destroy, DELIVER, NULL, rv_health, rv_free,
};

__attribute__((visibility("default"))) const qiao_plugin_v1* qiao_plugin_entry(uint32_t v) {
  (void)v;
  return &plugin;
}
