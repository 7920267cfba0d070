using System.Threading.Channels;
using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Gateway.Subscriptions;

/// <summary>
/// A connection's subscription requests, handled one at a time in arrival order by their own
/// loop (requests wait on stream subscriptions; the receive loop must not). Created on a
/// connection's first subscribe, so clients of the brief's default stream cost nothing here.
/// Subscribe-type messages have their own token bucket.
/// </summary>
public sealed partial class SubscriberSession
{
    private readonly Channel<ClientRequest> _requests = Channel.CreateBounded<ClientRequest>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ISubscriberChannel _channel;
    private readonly SubscriptionHub _hub;
    private readonly TokenBucket _bucket;
    private readonly ILogger _logger;
    private readonly Task _loop;

    public SubscriberSession(ISubscriberChannel channel, SubscriptionHub hub, double perSecond, double burst, TimeProvider time, ILogger logger)
    {
        _channel = channel;
        _hub = hub;
        _bucket = new TokenBucket(perSecond, burst, time);
        _logger = logger;
        _loop = Run();
    }

    /// <summary>Accepts a request, or answers rate_limited when they come faster than the bucket allows.</summary>
    public void Enqueue(ClientRequest request)
    {
        if (_bucket.TryTake() && _requests.Writer.TryWrite(request)) return;
        _hub.Error(_channel, request.Id, ErrorCodes.RateLimited,
            "too many subscribe, unsubscribe or resume messages: this one was dropped; send fewer, larger requests");
    }

    /// <summary>Stops the loop and releases the connection's stream interest.</summary>
    public async Task Close()
    {
        _requests.Writer.TryComplete();
        await _loop;
        await _hub.Remove(_channel.Id);
    }

    private async Task Run()
    {
        await Task.Yield();
        await foreach (var request in _requests.Reader.ReadAllAsync())
        {
            try
            {
                await _hub.Handle(_channel, request, CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogRequestFailed(_logger, _channel.Id, request.Kind, ex.Message);
                _hub.Error(_channel, request.Id, ErrorCodes.Unavailable, "the request could not be completed; retry it");
            }
        }
    }

    [LoggerMessage(EventId = 3702, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: {Kind} failed: {Error}")]
    private static partial void LogRequestFailed(ILogger logger, long connectionId, RequestKind kind, string error);
}
