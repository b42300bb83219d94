/* no_entry: a valid shared library that does not export qiao_plugin_entry. */
__attribute__((visibility("default"))) int some_other_function(int x) { return x + 1; }
