// Descriptor of the `wecom` sink: its settings table and factory.
#include "qiao/sdk/connector.h"

void qiao_register_wecom(qiao::sdk::Registry& registry) {
  (void)registry;  // the sink is registered once it is complete
}
