// The benchmark runner: Google Benchmark, plus a table that puts each
// Toro figure beside its baseline measured in the same run.
//
// Naming: "GROUP/toro..." and "GROUP/baseline..." pair up by GROUP; the
// table prints the median real time of each and toro/baseline.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

class PairingReporter : public benchmark::ConsoleReporter {
public:
    // Colour only on a terminal: RESULTS.md is pasted from files.
    PairingReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}

    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            bool is_median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
            bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
            if (!is_median && !single) continue;
            std::string name = run.run_name.str();
            medians_[name] = run.GetAdjustedRealTime();
            units_[name] = benchmark::GetTimeUnitString(run.time_unit);
        }
    }

    void Finalize() override {
        ConsoleReporter::Finalize();
        std::printf("\n%-44s %14s %14s %8s\n", "toro vs baseline (median real time)", "toro",
                    "baseline", "ratio");
        for (const auto& [name, toro_time] : medians_) {
            std::size_t slash = name.find("/toro");
            if (slash == std::string::npos) continue;
            std::string group = name.substr(0, slash);
            std::string rest = name.substr(slash + 5);
            auto baseline = medians_.find(group + "/baseline" + rest);
            if (baseline == medians_.end()) continue;
            std::string label = group + rest;
            std::size_t suffix = label.find("/real_time");
            if (suffix != std::string::npos) label.erase(suffix);
            std::printf("%-44s %11.1f %-2s %11.1f %-2s %8.2f\n", label.c_str(), toro_time,
                        units_[name].c_str(), baseline->second, units_[baseline->first].c_str(),
                        toro_time / baseline->second);
        }
    }

private:
    std::map<std::string, double> medians_;
    std::map<std::string, std::string> units_;
};

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    PairingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}
