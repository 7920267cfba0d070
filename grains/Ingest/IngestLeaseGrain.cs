using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansPrices.Grains.Hosting;

namespace OrleansPrices.Grains.Ingest;

[GenerateSerializer, Alias("OrleansPrices.IngestLeaseState")]
public sealed class IngestLeaseState
{
    [Id(0)] public string? Holder { get; set; }
    [Id(1)] public DateTimeOffset ExpiresAt { get; set; }
    [Id(2)] public long Term { get; set; }
}

/// <summary>
/// Grants the ingest lease. Its state is stored (<c>GridStore</c>) so a reactivation elsewhere
/// after its own silo died still knows the live holder and does not hand out a second lease; a
/// holder the membership declares dead loses the lease at once instead of at expiry. Only hand-overs
/// are written; renewals live in memory (a lease must not depend on Redis being up), and a
/// reactivated grain gives the stored holder one full duration to renew before anyone else gets it.
/// </summary>
public sealed partial class IngestLeaseGrain(
    [PersistentState("lease", StreamNames.GridStore)] IPersistentState<IngestLeaseState> state,
    IClusterMembershipService membership,
    IGridStorageHealth storage,
    TimeProvider time,
    ILogger<IngestLeaseGrain> logger) : Grain, IIngestLeaseGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The stored expiry is stale (renewals are not written): a live holder gets the time to renew.
        _reactivated = state.State.Holder is not null;
        return Task.CompletedTask;
    }

    private bool _reactivated;

    public async Task<IngestLeaseGrant> TryAcquire(string holder, TimeSpan duration)
    {
        if (_reactivated)
        {
            _reactivated = false;
            state.State.ExpiresAt = time.GetUtcNow() + duration;
        }
        var s = state.State;
        var now = time.GetUtcNow();
        var free = s.Holder is null || s.ExpiresAt <= now || HolderIsDead(s.Holder);
        if (!free && !string.Equals(s.Holder, holder, StringComparison.Ordinal)) return Grant();

        s.ExpiresAt = now + duration;
        if (!string.Equals(s.Holder, holder, StringComparison.Ordinal))
        {
            LogHandedOver(logger, s.Holder ?? "(none)", holder, s.Term + 1);
            s.Holder = holder;
            s.Term++;
            await Persist();
        }
        return Grant();
    }

    public async Task Release(string holder)
    {
        if (!string.Equals(state.State.Holder, holder, StringComparison.Ordinal)) return;
        state.State.Holder = null;
        state.State.ExpiresAt = time.GetUtcNow();
        await Persist();
    }

    public Task<IngestLeaseGrant> GetGrant() => Task.FromResult(Grant());

    private IngestLeaseGrant Grant() => new(state.State.Holder, state.State.ExpiresAt, state.State.Term);

    private bool HolderIsDead(string holder)
    {
        try
        {
            var address = SiloAddress.FromParsableString(holder);
            return membership.CurrentSnapshot.GetSiloStatus(address) == SiloStatus.Dead;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private async Task Persist()
    {
        if (!storage.Available) return;
        try
        {
            // Bounded: a hand-over must not stall every silo's renewal behind a slow storage call.
            await state.WriteStateAsync().WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (ex is not Orleans.Storage.InconsistentStateException)
        {
            // Storage away (Redis down): the grant stands in memory; holders keep renewing.
            LogWriteFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Ingest lease: {From} -> {To} (term {Term})")]
    private static partial void LogHandedOver(ILogger logger, string from, string to, long term);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Ingest lease: writing the grant failed: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, string error);
}
