using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Grains;
using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Strategies;

namespace OrleansPrices.Gateway.Api;

/// <summary>The brief's REST API: the buy-signal list with current prices, and latest quotes.</summary>
public static class StocksApi
{
    /// <summary>Codes one quotes request may name.</summary>
    public const int MaxCodesPerRequest = 200;

    public static IEndpointRouteBuilder MapStocksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/stocks").WithTags("Stocks");
        api.MapGet("/signal/buy", GetBuySignals)
            .Produces<Envelope<SignalListData>>(StatusCodes.Status200OK)
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest)
            .Produces<ErrorEnvelope>(StatusCodes.Status503ServiceUnavailable)
            .WithName("GetBuySignals")
            .WithSummary("Active buy signals with current prices")
            .WithDescription("The signal list the app shows; prices then arrive over the WebSocket /ws/stock/prices. Without a strategy, the signals of every strategy.");
        api.MapGet("/quotes", GetQuotes)
            .Produces<ErrorEnvelope>(StatusCodes.Status503ServiceUnavailable)
            .WithName("GetQuotes")
            .WithSummary("Latest quotes of the given codes")
            .WithDescription("codes: comma-separated Tushare-style (600000.SH) or bare six-digit codes, at most 200.");
        return app;
    }

    internal static IResult GetBuySignals(
        string? strategy, HttpContext context, SignalLists lists, StrategyCatalog strategies, SignalListResponses responses)
    {
        IStrategy? only = null;
        if (!string.IsNullOrWhiteSpace(strategy) && !strategies.TryGet(strategy, out only))
        {
            return TypedResults.BadRequest(new ErrorEnvelope(400,
                $"unknown strategy '{strategy}'; known strategies: {strategies.KnownNames}",
                new ErrorData(Known: [.. strategies.All.Select(s => s.Name)])));
        }
        if (!lists.Ready)
        {
            return TypedResults.Json(new ErrorEnvelope(503, "signal lists are loading; retry in a moment"), statusCode: 503);
        }

        var body = responses.Get(only);
        return AcceptsGzip(context.Request) ? body.GzipAnswer : body.JsonAnswer;
    }

    /// <summary>
    /// Whether the request accepts gzip. The values clients send most are known without a parse,
    /// which allocated a list and an object per entry on every request: "gzip" (Dart's HttpClient,
    /// OkHttp), "gzip, deflate" (Python's requests), "gzip, deflate, br[, zstd]" (browsers).
    /// Anything else is parsed with quality values ("gzip;q=0" refuses gzip).
    /// </summary>
    internal static bool AcceptsGzip(HttpRequest request)
    {
        var values = request.Headers.AcceptEncoding;
        if (values.Count == 0) return false;
        if (values.Count == 1)
        {
            switch (values[0])
            {
                case "gzip":
                case "gzip, deflate":
                case "gzip, deflate, br":
                case "gzip, deflate, br, zstd":
                    return true;
                case "identity":
                    return false;
            }
        }
        return request.GetTypedHeaders().AcceptEncoding.Any(e => e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && (e.Quality ?? 1) > 0);
    }

    internal static SignalRow ToRow(SignalEntry e, PriceBook book)
    {
        var s = e.Signal;
        decimal? price = null, change = null;
        long? volume = null, epoch = null, seq = null;
        if (book.TryGet(e.TsCode, out var p))
        {
            epoch = p.Epoch;
            seq = p.Seq;
            price = Money.TwoDecimals(p.Quote.Price);
            change = Money.TwoDecimals(p.Quote.ChangePercent);
            volume = p.Quote.Volume;
        }
        return new SignalRow(e.Code, e.TsCode, e.Name, e.Market, s.Action, s.Reason, s.Strategy, Money.TwoDecimals(s.VolumeRatio), s.Details, s.Since, price, change, volume, epoch, seq);
    }

    internal static async Task<Results<Ok<Envelope<QuoteListData>>, BadRequest<ErrorEnvelope>, JsonHttpResult<ErrorEnvelope>>> GetQuotes(
        string? codes, StockDirectory directory, PriceBook book, IClusterClient cluster)
    {
        var requested = (codes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (requested.Length == 0)
        {
            return TypedResults.BadRequest(new ErrorEnvelope(400, "name at least one code: ?codes=600000.SH,000001"));
        }
        if (requested.Length > MaxCodesPerRequest)
        {
            return TypedResults.BadRequest(new ErrorEnvelope(400, $"at most {MaxCodesPerRequest} codes per request"));
        }

        if (directory.Count == 0)
        {
            return TypedResults.Json(new ErrorEnvelope(503, "the stock directory is loading; retry in a moment"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var unknown = new List<string>();
        var valid = new List<string>();
        foreach (var text in requested)
        {
            if (TsCode.TryParse(text, out var code) && directory.TryGet(code.Value, out _)) valid.Add(code.Value);
            else unknown.Add(text);
        }
        if (unknown.Count > 0)
        {
            return TypedResults.BadRequest(new ErrorEnvelope(400,
                $"unknown stock codes: {string.Join(", ", unknown)}", new ErrorData(Unknown: unknown)));
        }

        var rows = await Task.WhenAll(valid.Distinct(StringComparer.Ordinal).Select(async tsCode =>
        {
            if (book.TryGet(tsCode, out var held)) return ToQuote(tsCode, held.Quote, held.Epoch, held.Seq);
            var snapshot = await cluster.GetGrain<IStockGrain>(tsCode).GetSnapshot();
            return snapshot.Quote is { } q ? ToQuote(tsCode, q, snapshot.Epoch, snapshot.Seq) : null;
        }));
        var quotes = rows.OfType<QuoteRow>().ToList();
        return TypedResults.Ok(new Envelope<QuoteListData>(200, "quotes fetched", new QuoteListData(quotes, quotes.Count)));
    }

    private static QuoteRow ToQuote(string tsCode, Quote q, long epoch, long seq) =>
        new(tsCode[..6], tsCode, q.Name, Money.TwoDecimals(q.Price), Money.TwoDecimals(q.ChangePercent), q.Volume, Money.TwoDecimals(q.Amount),
            Money.TwoDecimals(q.Open), Money.TwoDecimals(q.High), Money.TwoDecimals(q.Low), Money.TwoDecimals(q.PreClose),
            Money.TwoDecimals(q.Bid), Money.TwoDecimals(q.Ask), q.Suspended, q.Time, epoch, seq);
}
