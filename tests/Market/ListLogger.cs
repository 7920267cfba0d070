using Microsoft.Extensions.Logging;

namespace OrleansPrices.Tests.Market;

/// <summary>A logger that keeps what it is told, for asserting on log lines.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<(LogLevel Level, EventId EventId, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Warnings =>
        [.. Entries.Where(e => e.Level == LogLevel.Warning)];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }
}
