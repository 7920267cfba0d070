using Microsoft.Extensions.Hosting;

namespace OrleansPrices.Grains.Hosting;

public static class LifetimeExtensions
{
    /// <summary>
    /// Completes once the host has started (the silo or cluster client is up: grain calls work),
    /// or is cancelled with <paramref name="stoppingToken"/>. Background services that call grains
    /// begin with this, since hosted services start before the host reports started.
    /// </summary>
    public static async Task WaitForStartAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        await started.Task;
    }
}
