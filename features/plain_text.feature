@replies @plain_text
Feature: Replies arrive as exactly this plain text, in exactly these chunks
  The guide: output is plain text (markdown stripped, fenced code flattened, links kept
  readable, long replies split into chunks). What that means character for character is
  the plugin's code (@openclaw/sms 2026.9.4): OpenClaw's markdown-it projection, bullets as "• ",
  ordered items renumbered, a table as one label line per row plus "• header: value"
  lines, images as their alt text, links as "label (url)", autolinks and raw HTML kept,
  then CRLF/CR to LF, 3+ newlines to 2, trimmed. Chunks count UTF-16 code units (an emoji
  is 2), break at the last newline outside parentheses, else the last space, never
  inside a character, and keep their edge whitespace. Each example's answer and messages
  are JSON strings: what the agent answers, and the SMS bodies that must arrive, in order.
  Specification: docs/specification.md#plain-text-and-chunks

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]

  @observed
  Scenario Outline: A markdown answer arrives as exactly this plain text
    Given the gateway is running
    When phone "A" gets the agent to answer <answer>
    Then phone "A" gets the messages <messages>

    Examples:
      | id | answer | messages |
      | heading | "# Opening hours\n\nWe open at 9." | ["Opening hours\n\nWe open at 9."] |
      | setext heading | "Opening hours\n=============\nWe open at 9." | ["Opening hours\nWe open at 9."] |
      | emphasis | "**bold**, _italic_, ~~struck~~ and ***both***" | ["bold, italic, struck and both"] |
      | intraword asterisks | "2*3*4 is 24 and snake_case_name stays" | ["234 is 24 and snake_case_name stays"] |
      | escaped asterisks | "\\\\*not emphasis\\\\*" | ["*not emphasis*"] |
      | bullets | "- milk\n- eggs\n* bread" | ["• milk\n• eggs\n\n• bread"] |
      | nested list | "- fruit\n  - apple\n    - green\n- bread" | ["• fruit\n  • apple\n    • green\n• bread"] |
      | ordered list renumbered | "3. wake up\n7. text the bot\n9. read the reply" | ["3. wake up\n4. text the bot\n5. read the reply"] |
      | loose list | "- one\n\n- two" | ["• one\n\n• two"] |
      | table | "\| Name \| Role \|\n\|------\|------\|\n\| Ada \| admin \|\n\| Bo \| user \|" | ["Ada\n• Role: admin\n\nBo\n• Role: user"] |
      | one-column table | "\| Name \|\n\|------\|\n\| Ada \|\n\| Bo \|" | ["• Name: Ada\n\n• Name: Bo"] |
      | table with empty cell | "\| Day \| Open \| Close \|\n\|---\|---\|---\|\n\| Mon \| 9 \| 17 \|\n\| Sun \| \| closed \|" | ["Mon\n• Open: 9\n• Close: 17\n\nSun\n• Close: closed"] |
      | image | "See ![the logo](https://ex.com/logo.png) above" | ["See the logo above"] |
      | link | "Read [the guide](https://docs.example.com/sms)." | ["Read the guide (https://docs.example.com/sms)."] |
      | link that is its url | "[https://docs.example.com](https://docs.example.com)" | ["https://docs.example.com"] |
      | mailto link | "[write us](mailto:help@example.com) or [help@example.com](mailto:help@example.com)" | ["write us (mailto:help@example.com) or help@example.com"] |
      | autolink | "Go to <https://example.com/start>" | ["Go to <https://example.com/start>"] |
      | reference link | "Read [the guide][g].\n\n[g]: https://docs.example.com/sms" | ["Read the guide (https://docs.example.com/sms)."] |
      | entities | "Tom &amp; Jerry &lt;3 &copy; 2026" | ["Tom & Jerry <3 © 2026"] |
      | fenced code | "Run:\n\n```bash\nopenclaw pairing list sms\n```\n\nThen approve." | ["Run:\n\nopenclaw pairing list sms\n\nThen approve."] |
      | indented code | "Run:\n\n    openclaw channels status\n\nDone." | ["Run:\n\nopenclaw channels status\n\nDone."] |
      | inline code | "Use `openclaw pairing approve sms CODE` now" | ["Use openclaw pairing approve sms CODE now"] |
      | html | "Press <b>OK</b><br>then wait" | ["Press <b>OK</b><br>then wait"] |
      | blockquote | "> quoted line\n> second line\n\nafter the quote" | ["quoted line\nsecond line\n\nafter the quote"] |
      | think block | "<think>the user wants a number</think>The answer is 42." | ["The answer is 42."] |
      | crlf and cr | "line one\r\nline two\rline three" | ["line one\nline two\nline three"] |
      | many newlines | "above\n\n\n\n\nbelow" | ["above\n\nbelow"] |
      | rule | "above\n\n---\n\nbelow" | ["above\n\nbelow"] |

  @observed
  Scenario Outline: A long answer arrives in exactly these chunks
    Given the channel's textChunkLimit is <limit>
    And the gateway is running
    When phone "A" gets the agent to answer <answer>
    Then phone "A" gets the messages <messages>

    Examples:
      | id | limit | answer | messages |
      | words keep their spaces | 10 | "one two three four five six" | ["one two ", "three ", "four five ", "six"] |
      | newline preferred | 20 | "first line is here\nsecond line\nthird" | ["first line is here\n", "second line\nthird"] |
      | not inside parentheses | 16 | "call (555 0100 or 555 0101) today" | ["call ", "(555 0100 or ", "555 0101) today"] |
      | parentheses three deep | 18 | "see (a (b (c) d) e) f g" | ["see ", "(a (b (c) d) e) f ", "g"] |
      | a closing bracket with none open | 24 | "smile :) see (a\nb) and more words here" | ["smile :) see (a\nb) and ", "more words here"] |
      | a grapheme longer than the limit | 3 | "a🇫🇷b" | ["a", "🇫", "🇷b"] |
      | spaces past the limit | 5 | "abcd      efg" | ["abcd", " efg"] |
      | spaces split between two chunks | 4 | "x    yy" | ["x   ", " yy"] |
      | three spaces at a limit of three | 3 | "a   c" | ["a  ", " c"] |
      | a double space after the last word that fits | 6 | "to be  or" | ["to be", "  or"] |
      | emoji count two | 6 | "ab😀cd😀ef" | ["ab😀cd", "😀ef"] |
      | emoji never split | 5 | "abcd😀efgh" | ["abcd", "😀efg", "h"] |
      | flags stay whole | 6 | "ab🇫🇷c🇯🇵d" | ["ab🇫🇷", "c🇯🇵d"] |
      | combining mark stays | 4 | "cafe\u0301 ole\u0301" | ["caf", "e\u0301 ", "ole\u0301"] |
      | CJK | 4 | "日本語のテキストです" | ["日本語の", "テキスト", "です"] |
      | no break at all | 8 | "abcdefghijklmnopqrstuvwxyz" | ["abcdefgh", "ijklmnop", "qrstuvwx", "yz"] |
      | markdown then chunks | 12 | "**Step one:** text\n\n**Step two:** wait" | ["Step one: ", "text\n\n", "Step two: ", "wait"] |

  @observed
  Scenario: A run of spaces longer than the limit is split between its words, the first message full
    Given the channel's textChunkLimit is 300
    And the gateway is running
    When the agent answers phone "A" with "a", 302 spaces and "b"
    Then phone "A" gets "a" and 299 spaces, then 3 spaces and "b"
