using System.Text;

namespace IExecChain.Worker.Execution;

/// <summary>
/// Turns a task's params string into argv[1..] the way a POSIX shell splits words, without any
/// expansion: blanks separate words; '...' keeps everything literally; "..." keeps everything but
/// lets \" and \\ escape; outside quotes a backslash makes the next character literal.
/// </summary>
public static class TaskArguments
{
    public static List<string> Split(string? parameters)
    {
        var words = new List<string>();
        if (string.IsNullOrEmpty(parameters)) return words;
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < parameters.Length; i++)
        {
            char c = parameters[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord) words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                    break;
                case '\'':
                    int close = parameters.IndexOf('\'', i + 1);
                    if (close < 0) throw new FormatException($"params: the quote ' at position {i} is not closed");
                    word.Append(parameters, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    int start = i;
                    for (i++; ; i++)
                    {
                        if (i >= parameters.Length) throw new FormatException($"params: the quote \" at position {start} is not closed");
                        if (parameters[i] == '"') break;
                        if (parameters[i] == '\\' && i + 1 < parameters.Length && parameters[i + 1] is '"' or '\\') i++;
                        word.Append(parameters[i]);
                    }
                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 >= parameters.Length) throw new FormatException("params: a backslash ends the string");
                    word.Append(parameters[++i]);
                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }
}
