using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using OrleansPrices.Gateway.Api;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Grains;
using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Strategies;

namespace OrleansPrices.Gateway.Subscriptions;

/// <summary>
/// The subscription protocol's server side: per connection, the stocks and signal lists it
/// follows, what it was last sent per stock (epoch, seq), and the rules that turn the price book's
/// changes into its messages — a snapshot first, then increments with only the changed fields,
/// each delta exactly once unless the client asked for a rate (then the latest value wins) or fell
/// behind its queue (then one catch-up with the latest values). The gateway's stream
/// subscriptions follow the union of every connection's interest.
/// </summary>
public sealed partial class SubscriptionHub(
    PriceBook book,
    PriceSubscriptions streams,
    SignalLists lists,
    StockDirectory directory,
    StrategyCatalog strategies,
    IClusterClient cluster,
    Health.GridHealth grid,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    GatewayMetrics metrics,
    ILogger<SubscriptionHub> logger) : IPriceChangeListener
{
    private readonly ConcurrentDictionary<long, Subscriber> _subscribers = new();
    private readonly ConditionalWeakTable<PriceDelta, byte[]> _rows = new();
    private readonly ConcurrentDictionary<(string TsCode, long Epoch, long Seq), Task<DeltaReplay>> _fetches = new();

    private sealed class Subscriber(ISubscriberChannel channel, int maxCodes)
    {
        public ISubscriberChannel Channel { get; } = channel;
        public ClientSubscriptions Subs { get; } = new(maxCodes);
        public Dictionary<string, StockFollow> Follows { get; } = new(StringComparer.Ordinal);
        public Lock Gate { get; } = new();
        public bool Lagging { get; set; }

        /// <summary>A list message may have been lost to a full queue: resend the lists' snapshots.</summary>
        public bool ListsNeedResync { get; set; }

        /// <summary>Per followed list, the version its last snapshot was sent at; none before one went out.</summary>
        public Dictionary<string, long> ListSnapshotVersions { get; } = new(StringComparer.Ordinal);
    }

    private byte[]? _status;
    private (Market.Time.MarketPhase Phase, DateOnly Day, bool Stale, string? Reason)? _statusKey;

    /// <summary>
    /// Recomputes the market status (phase, next open, stale) and, when it changed, sends it to
    /// every subscriber. Called every second by the pump.
    /// </summary>
    public void RefreshStatus(Market.Time.MarketStatus status)
    {
        var noPrices = status.QuotesMove && book.IsQuiet(options.Value.StaleAfter, out _);
        var reason = grid.Outage ?? (noPrices ? StaleReasons.NoRecentPrices : null);
        var stale = reason is not null;
        var key = (status.Phase, status.TradingDay, stale, reason);
        if (_statusKey == key) return;
        _statusKey = key;
        var bytes = SubscriptionMessages.Status(status, stale, UnixTime.Micros(time.GetUtcNow()), reason);
        Volatile.Write(ref _status, bytes);
        foreach (var (_, sub) in _subscribers)
        {
            lock (sub.Gate) Push(sub, bytes);
        }
    }

    /// <summary>Connections that use the subscription protocol.</summary>
    public int Count => _subscribers.Count;

    public bool IsSubscriber(long connectionId) => _subscribers.ContainsKey(connectionId);

    /// <summary>Handles a subscribe, unsubscribe or resume of <paramref name="channel"/>.</summary>
    public async Task Handle(ISubscriberChannel channel, ClientRequest request, CancellationToken cancellationToken)
    {
        var isNew = false;
        var sub = _subscribers.GetOrAdd(channel.Id, _ =>
        {
            isNew = true;
            return new Subscriber(channel, options.Value.MaxCodesPerConnection);
        });
        var (valid, unknown) = Validate(request.Codes);
        var (listNames, unknownLists) = ValidateLists(request);

        IReadOnlyList<string> overLimit = [];
        var newLists = new List<string>();
        lock (sub.Gate)
        {
            switch (request.Kind)
            {
                case RequestKind.Subscribe:
                case RequestKind.Resume:
                    overLimit = sub.Subs.Add(valid, request.MaxRate).OverLimit;
                    foreach (var l in listNames) if (sub.Subs.AddList(l)) newLists.Add(l);
                    break;
                case RequestKind.Unsubscribe:
                    sub.Subs.Remove(valid);
                    foreach (var l in listNames)
                    {
                        sub.Subs.RemoveList(l);
                        sub.ListSnapshotVersions.Remove(l);
                    }
                    break;
            }
        }

        await streams.SetInterest(InterestOwner(channel.Id), Followed(sub), cancellationToken);
        var fromGrains = request.Kind == RequestKind.Resume ? await FetchMissed(request.Positions) : null;

        var applied = request.Kind == RequestKind.Unsubscribe ? "unsubscribed" : "subscribed";
        if (unknownLists.Count > 0)
        {
            Error(sub, request.Id, ErrorCodes.UnknownStrategy,
                $"unknown {(unknownLists.Count == 1 ? "strategy" : "strategies")} {string.Join(", ", unknownLists.Select(n => $"\"{n}\""))}; known strategies: {strategies.KnownNames}; the rest of the request was {applied}");
        }
        if (unknown.Count > 0)
        {
            Error(sub, request.Id, ErrorCodes.UnknownCodes, $"unknown stock codes: {string.Join(", ", unknown)}; the others were {applied}", unknown);
        }
        if (overLimit.Count > 0)
        {
            Error(sub, request.Id, ErrorCodes.TooManyCodes,
                $"at most {sub.Subs.MaxCodes} codes per connection; not subscribed: {string.Join(", ", overLimit)}", overLimit);
        }
        lock (sub.Gate)
        {
            // The brief's default stream is left only once something valid is followed.
            if (sub.Subs.Codes.Count > 0 || sub.Subs.Lists.Count > 0) channel.LeaveDefaultStream();
            Push(sub, SubscriptionMessages.Subscribed(request.Id, sub.Subs.Codes, sub.Subs.Lists));
            if (isNew && Volatile.Read(ref _status) is { } status) Push(sub, status);
            SyncFollows(sub);
            if (request.Kind == RequestKind.Resume) Resume(sub, request.Positions, fromGrains!);
            else SendSnapshots(sub);
            foreach (var l in newLists) SendListSnapshot(sub, l);
        }
    }

    /// <summary>
    /// The lists a request names: every strategy for a subscribe without <c>strategy</c>, else the
    /// named ones that exist; the unknown names apart (an error names them, the rest still applies).
    /// </summary>
    private (IReadOnlyList<string> Known, IReadOnlyList<string> Unknown) ValidateLists(ClientRequest request)
    {
        if (request.List is null) return ([], []);
        IReadOnlyList<string> named = request.Kind == RequestKind.Resume ? request.Strategies
            : request.Strategy is null ? [] : [request.Strategy];
        if (named.Count == 0) return ([.. strategies.All.Select(s => s.Name)], []);
        var known = new List<string>();
        var unknown = new List<string>();
        foreach (var name in named)
        {
            if (strategies.TryGet(name, out var s)) known.Add(s.Name);
            else unknown.Add(name.Length <= 40 ? name : name[..40] + "…");
        }
        return (known, unknown);
    }

    /// <summary>Sends an error to a subscriber and counts it, like the parser's errors.</summary>
    internal void Error(ISubscriberChannel channel, string? id, string code, string message, IReadOnlyCollection<string>? codes = null)
    {
        metrics.ProtocolError(code);
        channel.TryPush(SubscriptionMessages.Error(id, code, message, codes));
    }

    private void Error(Subscriber sub, string? id, string code, string message, IReadOnlyCollection<string>? codes = null)
    {
        metrics.ProtocolError(code);
        Push(sub, SubscriptionMessages.Error(id, code, message, codes));
    }

    /// <summary>Forgets a connection and releases its stream interest.</summary>
    public async Task Remove(long connectionId)
    {
        if (_subscribers.TryRemove(connectionId, out _))
        {
            await streams.SetInterest(InterestOwner(connectionId), [], CancellationToken.None);
        }
    }

    /// <summary>After a broadcast flush: sends each subscriber the increments of the stocks it follows among <paramref name="tsCodes"/>.</summary>
    public void OnChanged(IReadOnlyCollection<string> tsCodes)
    {
        if (_subscribers.IsEmpty) return;
        var now = time.GetTimestamp();
        foreach (var (_, sub) in _subscribers)
        {
            lock (sub.Gate)
            {
                if (!sub.Lagging) SendMoved(sub, tsCodes, rateLimited: true, now);
            }
        }
    }

    /// <summary>
    /// Sends the rate-limited values whose interval has passed, and list snapshots a full queue
    /// made a connection miss (called every 100 ms).
    /// </summary>
    public void FlushPending()
    {
        var now = time.GetTimestamp();
        foreach (var (_, sub) in _subscribers)
        {
            lock (sub.Gate)
            {
                if (sub.Lagging) continue;
                if (sub.ListsNeedResync)
                {
                    sub.ListsNeedResync = false;
                    foreach (var l in sub.Subs.Lists) SendListSnapshot(sub, l);
                }
                // Every 100 ms for every subscriber: most have nothing held back, so nothing is built for them.
                if (sub.Follows.Values.Any(f => f.Pending))
                {
                    SendMoved(sub, [.. sub.Follows.Where(f => f.Value.Pending).Select(f => f.Key)], rateLimited: true, now);
                }
            }
        }
    }

    /// <summary>
    /// For a connection whose queue overflowed and has drained: one update with the latest value of
    /// every followed stock that moved since what it was last sent (latest wins).
    /// </summary>
    public void CatchUp(long connectionId)
    {
        if (!_subscribers.TryGetValue(connectionId, out var sub)) return;
        lock (sub.Gate)
        {
            sub.Lagging = false;
            SendMoved(sub, [.. sub.Follows.Keys], rateLimited: false, time.GetTimestamp());
        }
    }

    /// <summary>
    /// One update with the followed stocks among <paramref name="codes"/> whose book value is newer
    /// than what was sent: each missed delta for an unlimited follow, else one conflated row (latest
    /// wins). With <paramref name="rateLimited"/>, a follow whose interval has not passed is marked
    /// pending instead. Never a silent gap: a stock whose epoch changed goes out as a snapshot marked
    /// recovered: false, and an unlimited follow whose deltas the book no longer holds (its stream
    /// missed some, and the watchdog repaired the book from the grain) gets them from the grain
    /// first (<see cref="Recover"/>). Called under the subscriber's lock.
    /// </summary>
    private void SendMoved(Subscriber sub, IReadOnlyCollection<string> codes, bool rateLimited, long now)
    {
        var rows = new List<byte[]>();
        var commits = new List<(StockFollow, PriceEntry)>();
        List<(StockFollow, PriceEntry)>? replaced = null;
        foreach (var code in codes)
        {
            if (!sub.Follows.TryGetValue(code, out var follow) || !book.TryGet(code, out var entry)) continue;
            if (entry.Epoch == follow.SentEpoch && entry.Seq <= follow.SentSeq)
            {
                follow.Pending = false;
                continue;
            }
            if (follow.Recovering || (rateLimited && !follow.TryPass(now, time))) continue;
            var conflate = !rateLimited || follow.MinInterval > TimeSpan.Zero;
            if (follow.SentSeq != 0 && entry.Epoch != follow.SentEpoch)
            {
                (replaced ??= []).Add((follow, entry));
                continue;
            }
            if (!conflate && follow.SentSeq != 0 && !entry.TryGetAfter(follow.SentEpoch, follow.SentSeq, out _))
            {
                follow.Recovering = true;
                _ = Recover(sub, code, follow, follow.SentEpoch, follow.SentSeq);
                continue;
            }
            AppendRows(rows, code, follow, entry, conflate);
            commits.Add((follow, entry));
        }
        if (replaced is not null) PushReplacements(sub, replaced);
        PushRows(sub, rows, commits);
    }

    /// <summary>
    /// Stocks whose missed deltas are gone (another epoch, or older than the grain's history): their
    /// full rows, in a snapshot marked recovered: false, as after a resume with such a gap.
    /// </summary>
    private void PushReplacements(Subscriber sub, List<(StockFollow Follow, PriceEntry Entry)> replaced)
    {
        var rows = replaced.Select(r => SubscriptionMessages.SnapshotRow(r.Entry.Quote.TsCode, r.Entry.Quote, r.Entry.Epoch, r.Entry.Seq)).ToList();
        if (sub.Channel.TryPush(SubscriptionMessages.Snapshot(rows, recovered: false, UnixTime.Micros(time.GetUtcNow()))))
        {
            foreach (var (follow, entry) in replaced) Commit(follow, entry);
        }
        else
        {
            sub.Lagging = true;
        }
    }

    /// <summary>
    /// An unlimited follow the book cannot continue from (epoch, seq), the last position sent: the
    /// deltas after it from the stock's grain, in order, then whatever the book holds beyond them;
    /// when the grain no longer has them all (or cannot be reached), the book's full row in a
    /// snapshot marked recovered: false. Nothing of the stock is sent meanwhile.
    /// </summary>
    private async Task Recover(Subscriber sub, string code, StockFollow follow, long epoch, long seq)
    {
        await Task.Yield(); // off the caller's lock
        DeltaReplay? replay = null;
        try
        {
            replay = await MissedSince(code, epoch, seq);
        }
        catch (Exception ex)
        {
            LogReplayFailed(logger, code, ex.Message);
        }
        lock (sub.Gate)
        {
            follow.Recovering = false;
            // Unfollowed, resumed or disconnected meanwhile, or fallen behind (its catch-up sends the latest).
            if (!_subscribers.ContainsKey(sub.Channel.Id) || !sub.Follows.TryGetValue(code, out var current) || current != follow
                || follow.SentEpoch != epoch || follow.SentSeq != seq || sub.Lagging) return;
            if (replay is { Recovered: true } r && r.Epoch == epoch)
            {
                var rows = new List<byte[]>();
                foreach (var d in r.Deltas) if (d.Seq > seq) rows.Add(RowOf(d));
                if (rows.Count > 0)
                {
                    if (!sub.Channel.TryPush(SubscriptionMessages.Update(rows, UnixTime.Micros(time.GetUtcNow()))))
                    {
                        sub.Lagging = true;
                        return;
                    }
                    follow.SentSeq = r.Deltas[^1].Seq;
                }
                SendMoved(sub, [code], rateLimited: true, time.GetTimestamp());
            }
            else if (book.TryGet(code, out var entry))
            {
                PushReplacements(sub, [(follow, entry)]);
            }
        }
    }

    /// <summary>
    /// The stock's grain's deltas after (epoch, seq), bounded by <see cref="GatewayOptions.GrainCallTimeout"/>.
    /// Subscribers that ask for the same position at once share one call (a gap in a popular
    /// stock's stream is the same gap for all of them).
    /// </summary>
    private Task<DeltaReplay> MissedSince(string code, long epoch, long seq)
    {
        var key = (code, epoch, seq);
        while (true)
        {
            if (_fetches.TryGetValue(key, out var running)) return running;
            var answer = new TaskCompletionSource<DeltaReplay>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_fetches.TryAdd(key, answer.Task)) continue;
            _ = Fetch(key, answer);
            return answer.Task;
        }
    }

    private async Task Fetch((string TsCode, long Epoch, long Seq) key, TaskCompletionSource<DeltaReplay> answer)
    {
        try
        {
            answer.SetResult(await cluster.GetGrain<IStockGrain>(key.TsCode).GetSince(key.Epoch, key.Seq).WaitAsync(options.Value.GrainCallTimeout, time));
        }
        catch (Exception ex)
        {
            answer.SetException(ex);
        }
        finally
        {
            _fetches.TryRemove(key, out _);
        }
    }

    /// <summary>A signal list changed: its followers get the rows that entered and the codes that left.</summary>
    public void OnListChanged(string strategy, IReadOnlyList<SignalEntry> added, IReadOnlyList<string> removed, long version)
    {
        foreach (var (_, sub) in _subscribers)
        {
            bool follows;
            lock (sub.Gate) follows = sub.Subs.Lists.Contains(strategy);
            if (!follows) continue;
            _ = FollowListChange(sub, strategy, added, removed, version);
        }
    }

    private async Task FollowListChange(Subscriber sub, string strategy, IReadOnlyList<SignalEntry> added, IReadOnlyList<string> removed, long version)
    {
        try
        {
            // Subscribe the entering stocks' streams first, so their prices flow from the snapshot on.
            await streams.SetInterest(InterestOwner(sub.Channel.Id), Followed(sub), CancellationToken.None);
            lock (sub.Gate)
            {
                // A change goes out only after the list's snapshot, and only if the snapshot does not
                // already hold it: one raised while the subscribe was being answered is in the snapshot
                // that answer carries (it used to overtake it, or follow it as a duplicate).
                if (sub.ListSnapshotVersions.TryGetValue(strategy, out var snapshotVersion) && version > snapshotVersion)
                {
                    Push(sub, SubscriptionMessages.SignalUpdate(strategy, version, snapshot: false, [.. added.Select(e => StocksApi.ToRow(e, book))], removed));
                }
                SyncFollows(sub);
                SendSnapshots(sub);
            }
        }
        catch (Exception ex)
        {
            LogListFollowFailed(logger, sub.Channel.Id, strategy, ex.Message);
        }
    }

    private (List<string> Valid, List<string> Unknown) Validate(IReadOnlyList<string> codes)
    {
        var valid = new List<string>();
        var unknown = new List<string>();
        foreach (var text in codes)
        {
            if (TsCode.TryParse(text, out var code) && directory.TryGet(code.Value, out _)) valid.Add(code.Value);
            else unknown.Add(text);
        }
        return (valid, unknown);
    }

    /// <summary>The codes a subscriber follows: its own and every member of its lists.</summary>
    private List<string> Followed(Subscriber sub)
    {
        lock (sub.Gate)
        {
            var all = new HashSet<string>(sub.Subs.Codes, StringComparer.Ordinal);
            foreach (var l in sub.Subs.Lists)
            {
                if (lists.TryGet(l, out var list)) all.UnionWith(list.Entries.Select(e => e.TsCode));
            }
            return [.. all];
        }
    }

    /// <summary>Aligns the follow table with the followed codes (new ones start unsent; gone ones are dropped).</summary>
    private void SyncFollows(Subscriber sub)
    {
        var wanted = Followed(sub);
        var set = new HashSet<string>(wanted, StringComparer.Ordinal);
        foreach (var code in sub.Follows.Keys.Where(c => !set.Contains(c)).ToList()) sub.Follows.Remove(code);
        foreach (var code in wanted)
        {
            var rate = sub.Subs.TryGet(code, out var own) ? own.MinInterval : TimeSpan.Zero;
            if (sub.Follows.TryGetValue(code, out var f)) f.MinInterval = rate;
            else sub.Follows[code] = new StockFollow(rate);
        }
    }

    /// <summary>A snapshot of every followed stock not sent yet.</summary>
    private void SendSnapshots(Subscriber sub)
    {
        var rows = new List<byte[]>();
        var commits = new List<(StockFollow, PriceEntry)>();
        foreach (var (code, follow) in sub.Follows)
        {
            if (follow.SentSeq != 0 || !book.TryGet(code, out var entry)) continue;
            rows.Add(SubscriptionMessages.SnapshotRow(code, entry.Quote, entry.Epoch, entry.Seq));
            commits.Add((follow, entry));
        }
        if (rows.Count == 0) return;
        if (sub.Channel.TryPush(SubscriptionMessages.Snapshot(rows, recovered: true, UnixTime.Micros(time.GetUtcNow()))))
        {
            foreach (var (follow, entry) in commits) Commit(follow, entry);
        }
        else
        {
            sub.Lagging = true;
        }
    }

    /// <summary>
    /// A reconnecting client's positions: the missed deltas each, in order, where the book still
    /// holds them; a snapshot marked recovered: false where it does not.
    /// </summary>
    private void Resume(Subscriber sub, IReadOnlyDictionary<string, StreamPosition> positions, IReadOnlyDictionary<string, DeltaReplay> fromGrains)
    {
        var replay = new List<byte[]>();
        var fresh = new List<byte[]>();
        var commits = new List<(StockFollow Follow, long Epoch, long Seq)>();
        foreach (var (text, position) in positions)
        {
            if (!TsCode.TryParse(text, out var code) || !sub.Follows.TryGetValue(code.Value, out var follow)) continue;
            var inBook = book.TryGet(code.Value, out var entry);
            if (inBook && entry.TryGetAfter(position.Epoch, position.Seq, out var deltas))
            {
                foreach (var d in deltas) replay.Add(RowOf(d));
                commits.Add((follow, entry.Epoch, entry.Seq));
            }
            else if (fromGrains.TryGetValue(code.Value, out var missed) && missed.Recovered)
            {
                // The grain's history closes the gap; what the book has beyond it follows as increments.
                foreach (var d in missed.Deltas) replay.Add(RowOf(d));
                commits.Add((follow, missed.Epoch, missed.Seq));
            }
            else if (inBook)
            {
                fresh.Add(SubscriptionMessages.SnapshotRow(code.Value, entry.Quote, entry.Epoch, entry.Seq));
                commits.Add((follow, entry.Epoch, entry.Seq));
            }
            else if (position.Seq > 0)
            {
                // No price here yet, and the grain did not answer: the client's position stands, so the
                // stock's first value is judged against it (replayed from the grain, or recovered: false).
                commits.Add((follow, position.Epoch, position.Seq));
            }
        }
        var ok = true;
        if (fresh.Count > 0) ok &= sub.Channel.TryPush(SubscriptionMessages.Snapshot(fresh, recovered: false, UnixTime.Micros(time.GetUtcNow())));
        if (replay.Count > 0) ok &= sub.Channel.TryPush(SubscriptionMessages.Update(replay, UnixTime.Micros(time.GetUtcNow())));
        if (ok)
        {
            foreach (var (follow, epoch, seq) in commits)
            {
                follow.SentEpoch = epoch;
                follow.SentSeq = seq;
            }
        }
        else
        {
            sub.Lagging = true;
        }
        SendSnapshots(sub);
    }

    /// <summary>The missed deltas of resumed stocks the price book cannot replay, from their grains (which keep more history).</summary>
    private async Task<Dictionary<string, DeltaReplay>> FetchMissed(IReadOnlyDictionary<string, StreamPosition> positions)
    {
        var asks = new List<(string Code, Task<DeltaReplay> Replay)>();
        foreach (var (text, position) in positions)
        {
            if (!TsCode.TryParse(text, out var code)) continue;
            if (book.TryGet(code.Value, out var entry) && entry.TryGetAfter(position.Epoch, position.Seq, out _)) continue;
            asks.Add((code.Value, MissedSince(code.Value, position.Epoch, position.Seq)));
        }
        var result = new Dictionary<string, DeltaReplay>(StringComparer.Ordinal);
        foreach (var (code, replay) in asks)
        {
            try
            {
                result[code] = await replay;
            }
            catch (Exception ex)
            {
                LogReplayFailed(logger, code, ex.Message);
            }
        }
        return result;
    }

    private void SendListSnapshot(Subscriber sub, string strategy)
    {
        if (!lists.TryGet(strategy, out var list)) return;
        sub.ListSnapshotVersions[strategy] = list.Version;
        Push(sub, SubscriptionMessages.SignalUpdate(strategy, list.Version, snapshot: true, [.. list.Entries.Select(e => StocksApi.ToRow(e, book))], []));
    }

    private void AppendRows(List<byte[]> rows, string code, StockFollow follow, PriceEntry entry, bool conflate)
    {
        if (follow.SentSeq != 0 && entry.TryGetAfter(follow.SentEpoch, follow.SentSeq, out var deltas) && deltas.Length > 0)
        {
            if (!conflate)
            {
                foreach (var d in deltas) rows.Add(RowOf(d));
                return;
            }
            var changed = QuoteFields.None;
            foreach (var d in deltas) changed |= d.Changed;
            rows.Add(SubscriptionMessages.UpdateRow(code, entry.Quote, entry.Epoch, entry.Seq, changed));
            return;
        }
        // Nothing sent yet, or a conflated row the book's recent run cannot build: the full row.
        rows.Add(SubscriptionMessages.SnapshotRow(code, entry.Quote, entry.Epoch, entry.Seq));
    }

    private byte[] RowOf(PriceDelta d) =>
        _rows.GetValue(d, x => SubscriptionMessages.UpdateRow(x.TsCode, x.Quote, x.Epoch, x.Seq, x.Changed));

    private void PushRows(Subscriber sub, List<byte[]> rows, List<(StockFollow Follow, PriceEntry Entry)> commits)
    {
        if (rows.Count == 0) return;
        var earliest = commits.Min(c => c.Entry.PublishedMicros is > 0 and var p ? p : long.MaxValue);
        if (sub.Channel.TryPush(SubscriptionMessages.Update(rows, earliest == long.MaxValue ? UnixTime.Micros(time.GetUtcNow()) : earliest)))
        {
            foreach (var (follow, entry) in commits) Commit(follow, entry);
        }
        else
        {
            sub.Lagging = true;
        }
    }

    private static void Commit(StockFollow follow, PriceEntry entry)
    {
        follow.SentEpoch = entry.Epoch;
        follow.SentSeq = entry.Seq;
    }

    private static void Push(Subscriber sub, byte[] json)
    {
        if (sub.Channel.TryPush(json)) return;
        sub.Lagging = true;
        sub.ListsNeedResync = sub.Subs.Lists.Count > 0;
    }

    private static string InterestOwner(long connectionId) => "conn:" + connectionId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 3704, Level = LogLevel.Warning, Message = "Fetching missed deltas of {TsCode} from its grain failed (the client gets a snapshot): {Error}")]
    private static partial void LogReplayFailed(ILogger logger, string tsCode, string error);

    [LoggerMessage(EventId = 3701, Level = LogLevel.Warning, Message = "Connection {ConnectionId} could not follow a change of list {Strategy}: {Error}")]
    private static partial void LogListFollowFailed(ILogger logger, long connectionId, string strategy, string error);
}
