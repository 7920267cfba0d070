using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.Cluster;

/// <summary>
/// The cluster tests' log: the grid's own warnings with the time since the
/// test started, kept in memory and written to the test output when the test ends, so a failed
/// recovery shows what the watchdog, the grains and the runtime saw. With
/// <c>ORLEANSPRICES_CLUSTER_LOG</c> set to a directory, everything from Debug up is also appended
/// to a file there (for digging into one run).
/// </summary>
internal sealed class ClusterLog : ILoggerProvider
{
    private const int MaxLines = 400;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter? _file;
    private int _dropped;

    public ClusterLog(string testName)
    {
        if (Environment.GetEnvironmentVariable("ORLEANSPRICES_CLUSTER_LOG") is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
            _file = new StreamWriter(Path.Combine(dir, $"{testName}-{DateTime.UtcNow:HHmmss}.log")) { AutoFlush = true };
        }
    }

    /// <summary>Adds this provider to a host's logging (the hosts clear theirs).</summary>
    public void AddTo(ILoggingBuilder logging)
    {
        logging.AddProvider(this);
        logging.AddFilter<ClusterLog>(null, _file is null ? LogLevel.Warning : LogLevel.Debug);
    }

    /// <summary>A line from the test itself, in the same timeline.</summary>
    public void Note(string text) => Write("test", LogLevel.Information, text);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    private void Write(string category, LogLevel level, string text)
    {
        var line = $"{_clock.Elapsed.TotalSeconds,8:F3} {level,-11} {category}: {text}";
        lock (this) _file?.WriteLine(line);
        // Orleans' own warnings and errors are many during a kill or an outage, and expected: the
        // output keeps the grid's (the file has everything).
        var keep = (level >= LogLevel.Warning && category.StartsWith("OrleansPrices", StringComparison.Ordinal)) || category == "test";
        if (!keep) return;
        if (_lines.Count < MaxLines) _lines.Enqueue(line);
        else Interlocked.Increment(ref _dropped);
    }

    /// <summary>Writes the kept lines to the test's output.</summary>
    public void Flush(ITestOutputHelper output)
    {
        while (_lines.TryDequeue(out var line)) output.WriteLine(line);
        if (_dropped > 0) output.WriteLine($"({_dropped} more log lines not shown)");
    }

    public void Dispose()
    {
        lock (this) _file?.Dispose();
    }

    private sealed class Logger(ClusterLog log, string category) : ILogger
    {
        private readonly string _category = category;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            if (exception is not null) text += $" [{exception.GetType().Name}: {exception.Message}]";
            log.Write(_category, logLevel, text);
        }
    }
}
