using System.Text;

namespace IExecChain.State.Market.Requirements;

/// <summary>
/// Recursive-descent parser for the requirements language:
/// <code>
/// expr       := and ( "||" and )*
/// and        := unary ( "&amp;&amp;" unary )*
/// unary      := "!" unary | "(" expr ")" | operand [ cmpop operand ]
/// operand    := INT | STRING | "true" | "false" | name
/// name       := [ "my." | "other." ] segment ( "." segment )*
/// cmpop      := "==" | "!=" | "&lt;" | "&lt;=" | "&gt;" | "&gt;="
/// </code>
/// An operand without a comparison must be a boolean literal or a name (tested for true).
/// Refusals carry the character position and the reason; size is bounded by
/// <see cref="Requirement.MaxLength"/>, <see cref="Requirement.MaxNodes"/> and <see cref="Requirement.MaxDepth"/>.
/// </summary>
internal ref struct RequirementParser
{
    private readonly string _text;
    private readonly List<RequirementNode> _nodes;
    private int _pos;
    private Token _token;
    private int _tokenStart;
    private long _tokenInt;
    private string? _tokenText;
    private RequirementError? _error;

    private RequirementParser(string text)
    {
        _text = text;
        _nodes = new List<RequirementNode>(8);
    }

    public static bool TryParse(string text, out Requirement requirement, out RequirementError? error)
    {
        requirement = Requirement.Always;
        error = null;
        if (text.Length > Requirement.MaxLength)
        {
            error = new RequirementError(Requirement.MaxLength, $"longer than {Requirement.MaxLength} characters");
            return false;
        }
        var parser = new RequirementParser(text);
        parser.Next();
        if (parser._error is null && parser._token == Token.End) return true;  // blank: always true
        int root = parser.ParseOr(1);
        if (parser._error is null && parser._token != Token.End) parser.Fail(parser._tokenStart, $"unexpected {Describe(parser._token)}");
        if (parser._error is not null)
        {
            error = parser._error;
            return false;
        }
        requirement = new Requirement(text, [.. parser._nodes], root);
        return true;
    }

    private int ParseOr(int depth)
    {
        int left = ParseAnd(depth);
        while (_error is null && _token == Token.Or)
        {
            int at = _tokenStart;
            Next();
            int right = ParseAnd(depth);
            left = Add(at, new RequirementNode(NodeOp.Or, left, right, default, null));
        }
        return left;
    }

    private int ParseAnd(int depth)
    {
        int left = ParseUnary(depth);
        while (_error is null && _token == Token.And)
        {
            int at = _tokenStart;
            Next();
            int right = ParseUnary(depth);
            left = Add(at, new RequirementNode(NodeOp.And, left, right, default, null));
        }
        return left;
    }

    private int ParseUnary(int depth)
    {
        if (_error is not null) return -1;
        if (depth > Requirement.MaxDepth) return Fail(_tokenStart, $"nested deeper than {Requirement.MaxDepth} levels");
        int at = _tokenStart;
        switch (_token)
        {
            case Token.Not:
                Next();
                int inner = ParseUnary(depth + 1);
                return Add(at, new RequirementNode(NodeOp.Not, inner, -1, default, null));
            case Token.LParen:
                Next();
                int expr = ParseOr(depth + 1);
                if (_error is not null) return -1;
                if (_token != Token.RParen) return Fail(_tokenStart, $"expected ')' but found {Describe(_token)}");
                Next();
                return expr;
        }

        int leftAt = _tokenStart;
        var leftKind = OperandKind();
        int left = ParseOperand();
        if (_error is not null) return -1;
        NodeOp op = _token switch
        {
            Token.Eq => NodeOp.Eq,
            Token.Ne => NodeOp.Ne,
            Token.Lt => NodeOp.Lt,
            Token.Le => NodeOp.Le,
            Token.Gt => NodeOp.Gt,
            Token.Ge => NodeOp.Ge,
            _ => NodeOp.Literal,
        };
        if (op == NodeOp.Literal)
        {
            if (leftKind is AttributeKind.Int or AttributeKind.String)
                return Fail(leftAt, $"{(leftKind == AttributeKind.Int ? "an integer" : "a string")} is not a condition; compare it with something");
            return Add(leftAt, new RequirementNode(NodeOp.Truthy, left, -1, default, null));
        }
        int opAt = _tokenStart;
        Next();
        var rightKind = OperandKind();
        int right = ParseOperand();
        if (_error is not null) return -1;
        if (leftKind != 0 && rightKind != 0 && leftKind != rightKind)
            return Fail(opAt, $"cannot compare {Name(leftKind)} with {Name(rightKind)}");
        var known = leftKind != 0 ? leftKind : rightKind;
        if (op is not (NodeOp.Eq or NodeOp.Ne) && known is AttributeKind.Bool or AttributeKind.String)
            return Fail(opAt, $"ordering comparisons apply to integers, not to {Name(known)}s");
        return Add(opAt, new RequirementNode(op, left, right, default, null));
    }

    /// <summary>The literal's kind, or 0 for a name (known only at evaluation).</summary>
    private readonly AttributeKind OperandKind() => _token switch
    {
        Token.Int => AttributeKind.Int,
        Token.String => AttributeKind.String,
        Token.True or Token.False => AttributeKind.Bool,
        _ => 0,
    };

    private int ParseOperand()
    {
        int at = _tokenStart;
        RequirementNode node;
        switch (_token)
        {
            case Token.Int: node = new RequirementNode(NodeOp.Literal, -1, -1, AttributeValue.Of(_tokenInt), null); break;
            case Token.String: node = new RequirementNode(NodeOp.Literal, -1, -1, AttributeValue.Of(_tokenText!), null); break;
            case Token.True: node = new RequirementNode(NodeOp.Literal, -1, -1, AttributeValue.Of(true), null); break;
            case Token.False: node = new RequirementNode(NodeOp.Literal, -1, -1, AttributeValue.Of(false), null); break;
            case Token.Name: return ParseName(at);
            default: return Fail(at, $"expected a value or an attribute name but found {Describe(_token)}");
        }
        Next();
        return Add(at, node);
    }

    private int ParseName(int at)
    {
        string full = _tokenText!;
        var op = NodeOp.OwnRef;
        string name = full;
        if (full.StartsWith("other.", StringComparison.Ordinal)) { op = NodeOp.OtherRef; name = full[6..]; }
        else if (full.StartsWith("my.", StringComparison.Ordinal)) name = full[3..];
        else if (full is "other" or "my") return Fail(at, $"'{full}' must be followed by '.' and an attribute name");
        if (!AttributeSet.IsValidName(name)) return Fail(at, $"invalid attribute name '{name}'");
        Next();
        return Add(at, new RequirementNode(op, -1, -1, default, string.Intern(name)));
    }

    private int Add(int at, RequirementNode node)
    {
        if (_error is not null) return -1;
        if (_nodes.Count >= Requirement.MaxNodes) return Fail(at, $"more than {Requirement.MaxNodes} nodes");
        _nodes.Add(node);
        return _nodes.Count - 1;
    }

    private int Fail(int position, string reason)
    {
        _error ??= new RequirementError(position, reason);
        _token = Token.End;
        return -1;
    }

    private void Next()
    {
        if (_error is not null) return;
        var text = _text;
        while (_pos < text.Length && text[_pos] is ' ' or '\t' or '\n' or '\r') _pos++;
        _tokenStart = _pos;
        if (_pos >= text.Length) { _token = Token.End; return; }
        char c = text[_pos];
        char n = _pos + 1 < text.Length ? text[_pos + 1] : '\0';
        switch (c)
        {
            case '(': _pos++; _token = Token.LParen; return;
            case ')': _pos++; _token = Token.RParen; return;
            case '&' when n == '&': _pos += 2; _token = Token.And; return;
            case '|' when n == '|': _pos += 2; _token = Token.Or; return;
            case '=' when n == '=': _pos += 2; _token = Token.Eq; return;
            case '!' when n == '=': _pos += 2; _token = Token.Ne; return;
            case '!': _pos++; _token = Token.Not; return;
            case '<': _pos += n == '=' ? 2 : 1; _token = n == '=' ? Token.Le : Token.Lt; return;
            case '>': _pos += n == '=' ? 2 : 1; _token = n == '=' ? Token.Ge : Token.Gt; return;
            case '"': LexString(); return;
        }
        if (c is >= '0' and <= '9' || (c == '-' && n is >= '0' and <= '9')) { LexInteger(); return; }
        if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_') { LexName(); return; }
        string what = c switch
        {
            '&' => "'&' (did you mean '&&'?)",
            '|' => "'|' (did you mean '||'?)",
            '=' => "'=' (did you mean '=='?)",
            _ => c is >= ' ' and <= '~' ? $"'{c}'" : $"character U+{(int)c:X4}",
        };
        Fail(_pos, $"unexpected {what}");
    }

    private void LexInteger()
    {
        int start = _pos;
        bool negative = _text[_pos] == '-';
        if (negative) _pos++;
        ulong magnitude = 0;
        bool overflow = false;
        while (_pos < _text.Length && _text[_pos] is >= '0' and <= '9')
        {
            ulong digit = (ulong)(_text[_pos] - '0');
            if (magnitude > (ulong.MaxValue - digit) / 10) overflow = true;
            else magnitude = magnitude * 10 + digit;
            _pos++;
        }
        if (_pos < _text.Length && (char.IsAsciiLetter(_text[_pos]) || _text[_pos] is '_' or '.'))
        {
            Fail(_pos, "a number must not run into a name");
            return;
        }
        ulong limit = negative ? 1UL << 63 : long.MaxValue;
        if (overflow || magnitude > limit)
        {
            Fail(start, "integer outside the 64-bit signed range");
            return;
        }
        _tokenInt = negative ? (long)(0 - magnitude) : (long)magnitude;
        _token = Token.Int;
    }

    private void LexString()
    {
        int start = _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length) { Fail(start, "unterminated string"); return; }
            char c = _text[_pos++];
            if (c == '"') break;
            if (c == '\\')
            {
                if (_pos >= _text.Length || _text[_pos] is not ('"' or '\\')) { Fail(_pos - 1, "only \\\" and \\\\ escapes are allowed in strings"); return; }
                c = _text[_pos++];
            }
            else if (c is < ' ' or > '~') { Fail(_pos - 1, "strings hold printable ASCII only"); return; }
            if (sb.Length == AttributeSet.MaxStringLength) { Fail(start, $"string longer than {AttributeSet.MaxStringLength} characters"); return; }
            sb.Append(c);
        }
        _tokenText = sb.ToString();
        _token = Token.String;
    }

    private void LexName()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '_' or '.')) _pos++;
        string word = _text[start.._pos];
        if (word.Length > AttributeSet.MaxNameLength + 6) { Fail(start, "name too long"); return; }
        switch (word)
        {
            case "true": _token = Token.True; return;
            case "false": _token = Token.False; return;
        }
        for (int i = 0; i < word.Length; i++)
        {
            if (char.IsAsciiLetterUpper(word[i])) { Fail(start + i, "names are lower-case"); return; }
        }
        _tokenText = word;
        _token = Token.Name;
    }

    private static string Name(AttributeKind kind) => kind switch
    {
        AttributeKind.Int => "integer",
        AttributeKind.Bool => "boolean",
        _ => "string",
    };

    private static string Describe(Token token) => token switch
    {
        Token.End => "end of input",
        Token.LParen => "'('",
        Token.RParen => "')'",
        Token.And => "'&&'",
        Token.Or => "'||'",
        Token.Not => "'!'",
        Token.Eq => "'=='",
        Token.Ne => "'!='",
        Token.Lt => "'<'",
        Token.Le => "'<='",
        Token.Gt => "'>'",
        Token.Ge => "'>='",
        Token.Int => "a number",
        Token.String => "a string",
        Token.True or Token.False => "a boolean",
        _ => "a name",
    };

    private enum Token : byte
    {
        End,
        Name,
        Int,
        String,
        True,
        False,
        LParen,
        RParen,
        And,
        Or,
        Not,
        Eq,
        Ne,
        Lt,
        Le,
        Gt,
        Ge,
    }
}
