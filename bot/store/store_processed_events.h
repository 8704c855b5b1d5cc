#pragma once

#include "bot/store/store.h"
#include "integrations/slack/processed_events.h"

namespace vigil {

/// Processed Slack event ids kept in the Store, so a redelivery after a restart is still dropped.
class StoreProcessedEvents final : public slack::ProcessedEvents {
 public:
  explicit StoreProcessedEvents(Store& store) : store_(store) {}
  bool first_time(const std::string& key, const std::string& kind, long long now) override {
    return store_.mark_event_processed(key, kind, now);
  }
  int forget_before(long long before) override { return store_.prune_processed_events(before); }

 private:
  Store& store_;
};

}  // namespace vigil
