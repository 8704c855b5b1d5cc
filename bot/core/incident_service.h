#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bot/base/clock.h"
#include "bot/base/error.h"
#include "bot/base/redactor.h"
#include "bot/store/model.h"

namespace vigil {

class Store;

/// What a person declares with `/incident declare`.
struct IncidentDeclaration {
  std::string title;         // as typed; redacted before it is recorded
  std::string severity;      // sev1..sev4, or empty
  std::string channel;       // the channel it was declared in
  std::string channel_name;  // that channel's name, for the timeline
  std::string declared_by;   // Slack user id
};

/// Why no incident answers a person's argument.
enum class IncidentLookupFailure {
  NoneOpenHere,  // no argument given, and this channel has no open incident
  NotFound,      // no incident has that id or id prefix
  Ambiguous,     // the prefix matches more than one incident
};

/// The incident a person named (full id or unique prefix) or meant (this channel's), or why none.
using IncidentLookup = std::variant<IncidentRecord, IncidentLookupFailure>;

/// The incident of a full id, or of a prefix only one incident has (people copy the short id), or
/// NotFound / Ambiguous. `vigil incidents show` and the service's find both use it.
IncidentLookup find_incident(Store& store, const std::string& id_or_prefix);

/// `/incident status` with no argument in a channel without an open incident: the open ones
/// everywhere, newest first.
struct OpenIncidents {
  std::vector<IncidentRecord> incidents;
};

/// `/incident status` of one incident: its triage runs (oldest first) and how many other incidents
/// are open in this channel (only when the person gave no id).
struct IncidentDetail {
  IncidentRecord incident;
  std::vector<RunRecord> runs;
  std::size_t more_open_here = 0;
};

using IncidentStatus = std::variant<OpenIncidents, IncidentDetail, IncidentLookupFailure>;

/// What `/incident resolve` came to.
struct IncidentResolution {
  enum class Kind {
    Resolved,         // open → resolved now, recorded in its timeline and the audit
    AlreadyResolved,  // nothing changed
  };
  Kind kind = Kind::Resolved;
  IncidentRecord incident;  // as recorded after the change (resolved_at set)
  long long open_for = 0;   // seconds from declaration to this resolution
  int still_running = 0;    // its triage runs that have not finished
  /// An incident without a root message of its own (an alert's from a webhook) lives in its newest
  /// run's thread: the resolution is told there. Empty: told in the incident's own thread, if any.
  std::string run_to_tell;
};

using IncidentResolveOutcome = std::variant<IncidentResolution, IncidentLookupFailure>;

/// The incidents people declare and resolve by hand (`/incident …`, `/triage` in an incident's
/// channel): every read and write of incident records a handler needs, as typed calls. Writes its
/// own timeline rows and audit rows; Slack (channels, root messages, replies) stays with the caller.
class IncidentService {
 public:
  IncidentService(Store& store, Clock& clock, const Redactor& redactor);

  /// Records a new open incident (source slack, in the channel it was declared in), its `declared`
  /// timeline row and an `incident.declared` audit row. The error is the store's.
  Result<IncidentRecord> declare(const IncidentDeclaration& declaration);
  /// The incident got a channel of its own, with the declarer invited: a `channel_created` row.
  void record_channel_created(const std::string& incident_id, const std::string& channel, const std::string& invited);
  /// Where the incident's root message is (`thread_ts` empty when it could not be posted).
  void set_root(const std::string& incident_id, const std::string& channel, const std::string& thread_ts);

  /// The incident named by `argument` (full id or unique prefix), or else the newest open one in
  /// `channel`.
  IncidentLookup find(const std::string& argument, const std::string& channel);
  /// For `/incident status`: every open incident when there is no argument and none is open here,
  /// else the one found (as find) with its runs.
  IncidentStatus status(const std::string& argument, const std::string& channel);
  /// For `/incident resolve`: finds the incident (as find) and moves it open → resolved, recording
  /// who did it in its timeline and the audit.
  IncidentResolveOutcome resolve(const std::string& argument, const std::string& channel, const std::string& by);
  /// For `/incident timeline`: as find; with no argument and nothing open here, this channel's
  /// newest incident, resolved or not (what people mean after resolving).
  IncidentLookup find_for_timeline(const std::string& argument, const std::string& channel);
  /// The newest open incident declared by hand in `channel`: a `/triage` run there belongs to it.
  std::optional<IncidentRecord> declared_open_in(const std::string& channel);

 private:
  void record_event(const std::string& incident_id, const std::string& kind, const std::string& actor,
                    const std::string& text);
  void audit(const std::string& actor, const std::string& action, const std::string& detail);

  Store& store_;
  Clock& clock_;
  const Redactor& redactor_;
};

}  // namespace vigil
