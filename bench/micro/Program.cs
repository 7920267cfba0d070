using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// dotnet run -c Release --project bench/micro -- --filter '*'
// In-process: the benchmark runs inside this build, so no project is generated and rebuilt
// (the repository's analyzers and central package versions would reject one).
var job = (args.Contains("--quick") ? Job.ShortRun : Job.Default).WithToolchain(InProcessEmitToolchain.Instance);
var config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(OrleansPrices.Bench.Micro.HotPaths).Assembly)
    .Run([.. args.Where(a => a != "--quick")], config);
