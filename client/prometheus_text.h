// Reading a node's /metrics page (Prometheus text format): for radctl load
// and the tests.
#pragma once

#include <map>
#include <string>

namespace rad {

// Every sample of the page, by series as written ("name{labels}" or "name").
std::map<std::string, double> prometheus_samples(const std::string& text);

}  // namespace rad
