namespace OrleansPrices.Grains.Hosting;

/// <summary>
/// Whether grain storage can take writes right now. Grains skip their periodic writes while it
/// can't (Redis away), so an outage never makes a tick wait on a storage timeout; the state stays
/// dirty and is written once storage is back.
/// </summary>
public interface IGridStorageHealth
{
    bool Available { get; }
}

/// <summary>The embedded default: memory storage is always there.</summary>
public sealed class MemoryStorageHealth : IGridStorageHealth
{
    public bool Available => true;
}

/// <summary>Redis storage: available while the shared connection is connected.</summary>
public sealed class RedisStorageHealth(GridRedis redis) : IGridStorageHealth
{
    public bool Available => redis.Current?.IsConnected ?? true;
}
