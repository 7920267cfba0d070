using StackExchange.Redis;

namespace OrleansPrices.Grains.Hosting;

/// <summary>
/// The one Redis connection a silo shares between clustering, grain storage (<c>GridStore</c>,
/// <c>PubSubStore</c>) and the <c>stock_trend:*</c> cache. Connects on first use and never aborts
/// on a failed connect: a silo started while Redis is away keeps retrying, and a running one
/// reconnects by itself when Redis comes back.
/// </summary>
public sealed class GridRedis(string connectionString) : IAsyncDisposable
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _connection = new(() => Connect(connectionString));

    public Task<IConnectionMultiplexer> GetAsync() => _connection.Value;

    /// <summary>The connection once it exists (null before the first use).</summary>
    public IConnectionMultiplexer? Current =>
        _connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully ? _connection.Value.Result : null;

    /// <summary>The options every connection of the grid uses: never abort on a failed connect.</summary>
    public static ConfigurationOptions Options(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        return options;
    }

    /// <summary>
    /// One PING within <paramref name="timeout"/>: its round trip, or why Redis does not answer. The
    /// readiness of a silo and the gateway's Redis probe both ask this.
    /// </summary>
    public static async Task<RedisPing> PingAsync(IConnectionMultiplexer connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return new RedisPing(await connection.GetDatabase().PingAsync().WaitAsync(timeout, cancellationToken), null);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new RedisPing(null, ex.Message);
        }
    }

    private static async Task<IConnectionMultiplexer> Connect(string connectionString) =>
        await ConnectionMultiplexer.ConnectAsync(Options(connectionString));

    public async ValueTask DisposeAsync()
    {
        if (Current is { } connection) await connection.DisposeAsync();
    }
}

/// <summary>The outcome of <see cref="GridRedis.PingAsync"/>: the round trip, or the error.</summary>
public readonly record struct RedisPing(TimeSpan? Latency, string? Error);
