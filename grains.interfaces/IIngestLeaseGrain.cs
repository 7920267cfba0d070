using Orleans.Concurrency;

namespace OrleansPrices.Grains;

/// <summary>
/// The lease on the quote ingest (key <see cref="Key"/>): only the silo holding it polls the feed,
/// so a cluster runs exactly one ingest loop. Holders renew well within the lease's duration; a
/// lease that expires, or whose holder the cluster declared dead, goes to the next silo that asks.
/// </summary>
[Alias("OrleansPrices.IIngestLeaseGrain")]
public interface IIngestLeaseGrain : IGrainWithStringKey
{
    const string Key = "quote-ingest";

    /// <summary>Acquires or renews the lease for <paramref name="holder"/> (a silo address); returns who holds it now.</summary>
    [Alias("TryAcquire")]
    Task<IngestLeaseGrant> TryAcquire(string holder, TimeSpan duration);

    /// <summary>Gives the lease up (a holder shutting down), so the next silo takes over at once.</summary>
    [Alias("Release")]
    Task Release(string holder);

    [ReadOnly, AlwaysInterleave, Alias("GetGrant")]
    Task<IngestLeaseGrant> GetGrant();
}

/// <param name="Holder">The holding silo's address, or null when nobody holds the lease.</param>
/// <param name="Term">Increases by one every time the lease changes hands.</param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.IngestLeaseGrant")]
public sealed record IngestLeaseGrant(
    [property: Id(0)] string? Holder,
    [property: Id(1)] DateTimeOffset ExpiresAt,
    [property: Id(2)] long Term)
{
    public bool IsHeldBy(string holder) => string.Equals(Holder, holder, StringComparison.Ordinal);
}
