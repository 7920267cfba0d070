using Microsoft.Extensions.Options;
using OrleansPrices.Grains.Hosting;
using StackExchange.Redis;

namespace OrleansPrices.Gateway.Health;

/// <summary>
/// Cluster mode: pings Redis every <see cref="GridHealthOptions.ProbeInterval"/> on a connection of
/// its own and records in <see cref="GridHealth"/> whether it answers. Redis counts as unavailable
/// after <see cref="GridHealthOptions.FailuresToDeclare"/> failed pings in a row and as back after
/// one answered ping; both transitions are logged.
/// </summary>
public sealed partial class RedisProbe(
    GridHealth health,
    IOptions<GridClusterOptions> cluster,
    IOptions<GridHealthOptions> options,
    TimeProvider time,
    ILogger<RedisProbe> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var config = GridRedis.Options(cluster.Value.Redis);
        config.ConnectTimeout = (int)o.ProbeTimeout.TotalMilliseconds;
        config.ReconnectRetryPolicy = new LinearRetry((int)o.ProbeInterval.TotalMilliseconds);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(config);
        using var timer = new PeriodicTimer(o.ProbeInterval, time);
        var failures = 0;
        do
        {
            var error = await Ping(redis, o.ProbeTimeout, stoppingToken);
            if (error is null)
            {
                failures = 0;
                if (health.StorageError is not null)
                {
                    health.SetStorageError(null);
                    LogRedisBack(logger, cluster.Value.Redis);
                }
            }
            else if (++failures >= o.FailuresToDeclare && health.StorageError is null)
            {
                health.SetStorageError(error);
                LogRedisAway(logger, cluster.Value.Redis, failures, error);
            }
        }
        while (await WaitNext(timer, stoppingToken));
    }

    private static async Task<string?> Ping(IConnectionMultiplexer redis, TimeSpan timeout, CancellationToken stoppingToken)
    {
        try
        {
            return (await GridRedis.PingAsync(redis, timeout, stoppingToken)).Error;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<bool> WaitNext(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 3801, Level = LogLevel.Warning, Message = "Redis {Redis} unavailable ({Failures} pings failed in a row): {Error}; clients are told the data is stale")]
    private static partial void LogRedisAway(ILogger logger, string redis, int failures, string error);

    [LoggerMessage(EventId = 3802, Level = LogLevel.Information, Message = "Redis {Redis} answers again")]
    private static partial void LogRedisBack(ILogger logger, string redis);
}
