/* qiao plugin ABI, version 1.
 *
 * A third-party connector is a shared library exporting one C function:
 *
 *   const qiao_plugin_v1* qiao_plugin_entry(uint32_t host_abi_version);
 *
 * Everything crossing the boundary is plain C: UTF-8 JSON text in, JSON text out. Strings a
 * plugin returns are released with the plugin's own free_string. The host refuses a plugin
 * whose abi_version differs from QIAO_PLUGIN_ABI_VERSION or whose entry point is missing.
 *
 * JSON shapes:
 *   descriptor_json: {"name":"x","summary":"...","maturity":"alpha","kinds":["sink"],
 *                     "config":[{"name":"url","type":"url","required":true,
 *                                "default":"","description":"..."}]}
 *   record_json:     {"payload":{...},"entity":"order","source_system":"crm",
 *                     "business_key":"SO-1","idempotency_key":"...","trace_id":"..."}
 *   deliver result:  {"remote_id":"..."}  or
 *                    {"error":{"class":"transient|permanent|auth_expired","message":"..."}}
 *   poll result:     {"records":[record_json...],"watermark":"...","more":false}
 *   health result:   {"healthy":true,"detail":"..."}
 */
#ifndef QIAO_SDK_PLUGIN_ABI_H
#define QIAO_SDK_PLUGIN_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QIAO_PLUGIN_ABI_VERSION 1u

typedef struct qiao_plugin_v1 {
  uint32_t abi_version; /* must equal QIAO_PLUGIN_ABI_VERSION */
  const char* descriptor_json;

  /* Creates an instance from its config block (JSON). Returns NULL and sets *error
   * (a string to release with free_string) on failure. */
  void* (*create)(const char* instance_name, const char* config_json, char** error);
  void (*destroy)(void* instance);

  /* Sink: returns a deliver-result JSON (never NULL). NULL function = not a sink. */
  char* (*deliver)(void* instance, const char* record_json);
  /* Source: returns a poll-result JSON (never NULL). NULL function = not a source. */
  char* (*poll)(void* instance, const char* watermark, uint32_t max_records);
  /* Returns a health-result JSON (never NULL). */
  char* (*health)(void* instance);

  void (*free_string)(char* s);
} qiao_plugin_v1;

typedef const qiao_plugin_v1* (*qiao_plugin_entry_fn)(uint32_t host_abi_version);

#define QIAO_PLUGIN_ENTRY_SYMBOL "qiao_plugin_entry"

#ifdef __cplusplus
}
#endif

#endif /* QIAO_SDK_PLUGIN_ABI_H */
