// The coordinator's run routes, answered by the Supervisor. Bodies and answers
// are the JSON mapping of rad.v1 messages.
//   POST /v1/runs              a Plan        -> 201 {"runId": "...", "existing": false}; 400
//        [Idempotency-Key: K]                   with every problem: {"error", "problems":
//                                               [{path, reason}]}. With a key (1 to 128
//                                               printable ASCII characters, else 400), at
//                                               most one run is made per key: the same key
//                                               and plan again answer 201 with that run and
//                                               "existing": true, also after a restart;
//                                               another plan under it is refused, 409
//   GET  /v1/runs                            -> RunList, newest first
//   GET  /v1/runs/ID[?stories=false]         -> RunStatus (per wave, and per story
//                                               unless stories=false; `queued`: its
//                                               attempts waiting in the Dispatcher); 404
// These two answer from the views the runs publish (actors/run_views.h), at
// once however busy a run is, and show only what is in the checkpoint. The
// Supervisor is asked only for what no view holds: a run this process does not
// know (the store may), the stories of a run that ended before it started, and
// the first ask for the stories of a running run of more than kEagerStories
// stories (which then publishes them for a minute after each ask).
//   GET  /v1/runs/ID/trace[?story=ID]        -> SpanList: the spans this coordinator kept
//                                               of the run (of one story: its spans and
//                                               their ancestors); 404
//   POST /v1/runs/ID/cancel                  -> 202 RunStatus once the cancel is in the
//                                               checkpoint: no story of the run starts or
//                                               ends SUCCEEDED after it (a result that
//                                               comes later ends its story CANCELLED); 404
//   POST /v1/compact[?dryRun=true]           -> CompactionReport of the checkpoint store
//   POST /v1/backup                          -> BackupReport: a copy of the store in
//                                               DATA_DIR/backups on the coordinator's host
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <memory>

#include "actors/node_views.h"
#include "actors/run_views.h"
#include "protocol/checkpoint.h"
#include "protocol/supervisor.h"
#include "runtime/http_server.h"

namespace rad {

// `views`: where the Supervisor and its runs publish (null: ask the Supervisor);
// `node_views`: where the Dispatcher publishes its queue (a run's `queued`).
void add_run_routes(HttpServer& server, caf::actor_system& system, supervisor_actor supervisor,
                    checkpoint_actor checkpoint, std::shared_ptr<RunViews> views,
                    std::shared_ptr<const NodeViews> node_views = nullptr);

}  // namespace rad
