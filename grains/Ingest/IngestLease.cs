using OrleansPrices.Grains.Hosting;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace OrleansPrices.Grains.Ingest;

/// <summary>The ingest lease's timing, bound from <c>Grid:Ingest:Lease</c>.</summary>
public sealed class IngestLeaseOptions
{
    public const string Section = "Grid:Ingest:Lease";

    /// <summary>How long a grant lasts: the longest a dead holder's silo can keep the ingest from moving.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>How often every silo asks for (or renews) the lease; well below <see cref="Duration"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(1.5);
}

/// <summary>
/// This silo's side of the ingest lease: asks the <see cref="IIngestLeaseGrain"/> every
/// <see cref="IngestLeaseOptions.RenewInterval"/> and holds the lease until the grant's duration,
/// counted on its own clock from when it asked, runs out. A holder cut off from the grain stops
/// polling by itself before anyone else can be granted the lease. In the embedded default the one
/// silo always gets it. On a clean stop it releases the lease so another silo takes over at once.
/// </summary>
public sealed partial class IngestLease(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    IOptions<IngestLeaseOptions> options,
    ILogger<IngestLease> logger) : BackgroundService
{
    private readonly IngestLeaseOptions _options = options.Value;
    private readonly object _gate = new();
    private long _heldUntil;
    private TaskCompletionSource _acquired = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>This silo's identity as a lease holder.</summary>
    public string Holder { get; } = silo.SiloAddress.ToParsableString();

    public bool IsHeld => time.GetTimestamp() < Interlocked.Read(ref _heldUntil);

    /// <summary>Completes when this silo holds the lease.</summary>
    public async Task WaitHeldAsync(CancellationToken cancellationToken)
    {
        while (!IsHeld)
        {
            Task acquired;
            lock (_gate)
            {
                // Completed by an earlier grant that has since run out (renewals failing): wait for
                // a new one. Every successful renewal completes the current task again.
                if (_acquired.Task.IsCompleted) _acquired = new(TaskCreationOptions.RunContinuationsAsynchronously);
                acquired = _acquired.Task;
            }
            await acquired.WaitAsync(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WaitForStartAsync(stoppingToken);

        var grain = grains.GetGrain<IIngestLeaseGrain>(IIngestLeaseGrain.Key);
        using var timer = new PeriodicTimer(_options.RenewInterval, time);
        do
        {
            await RenewOnce(grain);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RenewOnce(IIngestLeaseGrain grain)
    {
        var asked = time.GetTimestamp();
        var wasHeld = IsHeld;
        try
        {
            var grant = await grain.TryAcquire(Holder, _options.Duration);
            if (grant.IsHeldBy(Holder))
            {
                // Counted from before the call: this silo's view always ends before the grain's.
                Interlocked.Exchange(ref _heldUntil, asked + time.ToTimestamp(_options.Duration));
                if (!wasHeld) LogAcquired(logger, Holder, grant.Term);
                lock (_gate) _acquired.TrySetResult();
            }
            else
            {
                Interlocked.Exchange(ref _heldUntil, 0);
                if (wasHeld) LogLost(logger, Holder, grant.Holder ?? "(none)");
                lock (_gate)
                {
                    if (_acquired.Task.IsCompleted) _acquired = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
        catch (Exception ex)
        {
            // The lease runs out by itself at _heldUntil; nothing else to do until the next try.
            LogRenewFailed(logger, ex.Message);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!IsHeld) return;
        Interlocked.Exchange(ref _heldUntil, 0);
        try
        {
            await grains.GetGrain<IIngestLeaseGrain>(IIngestLeaseGrain.Key).Release(Holder).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception ex)
        {
            LogRenewFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Silo {Holder} holds the ingest lease (term {Term}): this silo polls the feed")]
    private static partial void LogAcquired(ILogger logger, string holder, long term);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Silo {Holder} lost the ingest lease to {NewHolder}: it stops polling")]
    private static partial void LogLost(ILogger logger, string holder, string newHolder);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Asking for the ingest lease failed: {Error}")]
    private static partial void LogRenewFailed(ILogger logger, string error);
}
