using System.Text.Json;

namespace OrleansPrices.Gateway.Protocol;

public enum ClientMessageType
{
    Ping,
}

/// <summary>A parsed client message, or the error to answer it with.</summary>
public readonly record struct ClientMessage(ClientMessageType Type, string? ErrorCode = null, string? ErrorMessage = null)
{
    public bool IsError => ErrorCode is not null;

    public static ClientMessage Error(string code, string message) => new(default, code, message);
}

/// <summary>Parses client text frames. Pure: bytes in, a message or an error out.</summary>
public static class ClientMessageParser
{
    public static readonly string KnownTypes = "ping";

    public static ClientMessage Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
        try
        {
            if (!reader.Read())
            {
                return ClientMessage.Error(ErrorCodes.InvalidJson, "empty message");
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                EnsureEnd(ref reader);
                return ClientMessage.Error(ErrorCodes.InvalidMessage, "a message is a JSON object with a \"type\" field");
            }

            string? type = null;
            var typeWasString = true;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType)
                {
                    if (reader.TokenType == JsonTokenType.String) type = reader.GetString();
                    else typeWasString = false;
                }
                reader.Skip();
            }
            EnsureEnd(ref reader);

            if (type is null)
            {
                return ClientMessage.Error(ErrorCodes.InvalidMessage,
                    typeWasString ? "missing \"type\" field" : "\"type\" must be a string");
            }
            return type switch
            {
                "ping" => new ClientMessage(ClientMessageType.Ping),
                _ => ClientMessage.Error(ErrorCodes.UnknownType, $"unknown type \"{Truncate(type)}\"; known types: {KnownTypes}"),
            };
        }
        catch (JsonException ex)
        {
            return ClientMessage.Error(ErrorCodes.InvalidJson, $"not valid JSON: {ex.Message}");
        }
    }

    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("unexpected data after the JSON value");
        }
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
