#pragma once

#include <set>
#include <string>

#include "bot/store/store.h"
#include "bot/slack/user_directory.h"

namespace vigil {

/// The Markdown timeline of one run, as read back from the store: what triggered it, every tool
/// call, finding, proposal, approval (who and when), action and the outcome. This is what
/// `/triage timeline`, `vigil runs show` and postmortem write-ups use; it is GitHub-flavoured
/// Markdown (tables), and everything that came from outside is escaped for table cells.
/// People are named "@alex (U0DEMOALEX)" where `names` knows them, "@U0DEMOALEX" otherwise; ids in
/// event texts ("denied by U0DEMOALEX") are named the same way.
std::string format_run_markdown(Store& store, const RunRecord& run, const PeopleNames& names = {});

/// The Markdown timeline of an incident: its own events (declared, alerts, channel, resolved)
/// merged in time order with the timelines of every run attached to it, then the approvals, the
/// actions and the outcome.
std::string format_incident_markdown(Store& store, const IncidentRecord& incident, const PeopleNames& names = {});

/// The Slack user ids a run's (or an incident's) timeline names: who triggered, acted, approved, and
/// ids inside event texts. Look them up (UserDirectory) and pass the names to the formatters.
std::set<std::string> people_in_run(Store& store, const RunRecord& run);
std::set<std::string> people_in_incident(Store& store, const IncidentRecord& incident);

/// The agent accounting line at the end of a run's or an incident's timeline, e.g. "**Agent
/// usage:** 2 runs, 3 turns, 4m 12s; 45,012 tokens in, 1,203 out; $0.4123 (as the agent CLIs
/// reported)". Empty when no agent turn ran.
std::string format_agent_usage(const AgentUsageTotals& usage);

/// "1h 2m", "3m 4s", "5s".
std::string format_duration(long long seconds);

}  // namespace vigil
