using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Gateway.Health;

/// <summary>
/// What the gateway knows about the cluster behind it: whether Redis (clustering and grain
/// storage) answers, and how many silos its Orleans client is connected to. Read by the health
/// checks and by the subscription hub's <c>status</c> (an outage makes it stale, with a reason).
/// In the embedded default nothing is watched and there is never an outage.
/// </summary>
public sealed class GridHealth : IClusterConnectionStatusObserver
{
    private volatile string? _storageError;
    private int _connectedSilos = -1;

    /// <summary>The number of silos the client is connected to; -1 until Orleans first reports it.</summary>
    public int ConnectedSilos => Volatile.Read(ref _connectedSilos);

    /// <summary>Why Redis counts as unavailable (the last probe's error), or null while it answers.</summary>
    public string? StorageError => _storageError;

    /// <summary>
    /// The outage clients are told about: <see cref="StaleReasons.ClusterUnavailable"/> while the
    /// gateway is connected to no silo, <see cref="StaleReasons.StorageUnavailable"/> while Redis is
    /// away, else null.
    /// </summary>
    public string? Outage => ConnectedSilos == 0 ? StaleReasons.ClusterUnavailable
        : _storageError is not null ? StaleReasons.StorageUnavailable
        : null;

    internal void SetStorageError(string? error) => _storageError = error;

    void IClusterConnectionStatusObserver.NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered) =>
        Volatile.Write(ref _connectedSilos, currentNumberOfGateways);

    void IClusterConnectionStatusObserver.NotifyClusterConnectionLost() => Volatile.Write(ref _connectedSilos, 0);
}
