@replies
Feature: Replies: plain text, chunked, through the configured sender
  Agent replies go back to the sender through the Twilio REST API: markdown
  stripped, fenced code flattened, links kept as "label (url)", chunks of at
  most textChunkLimit (default 1500, never above 1600), order kept.
  Specification: docs/specification.md#replies

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]

  @guide
  Scenario: The reply goes back to the sender from the configured number
    Given the gateway is running
    When phone "A" texts "reply exactly pong"
    Then phone "A" gets the reply "pong"
    And every message to phone "A" was sent from the number with the account's credentials

  @guide
  Scenario: A long markdown answer arrives as plain text in ordered chunks
    Given the gateway is running
    When phone "A" texts "please write a long markdown answer"
    Then phone "A" gets the long answer in 3 or more messages of at most 1500 characters
    And the messages read, in order, as the agent's answer in plain text
    And no message to phone "A" contains markdown: "```", "**", "## ", "]("
    And the link "Twilio's Messages API (https://www.twilio.com/docs/messaging/api/message-resource)" is kept readable
    And the fenced code line "openclaw channels status --channel sms --probe --json" is kept as plain text
    And no message to phone "A" contains 3 newlines in a row

  @guide
  Scenario Outline: textChunkLimit bounds every chunk, and never above 1600
    Given the channel's textChunkLimit is <limit>
    And the gateway is running
    When phone "A" texts "please write a long markdown answer"
    Then phone "A" gets the long answer in messages of at most <bound> characters
    And the messages read, in order, as the agent's answer in plain text

    Examples:
      | limit | bound |
      | 400   | 400   |
      | 1600  | 1600  |
      | 5000  | 1600  |

  @guide
  Scenario: A reply with nowhere to break is cut at exactly the limit
    Given the channel's textChunkLimit is 160
    And the gateway is running
    When phone "A" asks for a reply of 161 characters without spaces
    Then phone "A" gets messages of 160 and 1 characters, in order

  @observed @status_callbacks
  Scenario: Replies carry a StatusCallback with Twilio connection overrides
    Given the gateway is running
    When phone "A" texts "reply exactly with callback"
    Then phone "A" gets the reply "with callback"
    And the Messages.json request had StatusCallback "<public url>#rp=ct,rt,5xx&rt=5000&rc=1"

  @observed @status_callbacks
  Scenario Outline: publicWebhookUrl's own "#" overrides are merged into the StatusCallback and clamped
    Given the Twilio number's webhook is "<public url>" with method POST
    And the channel's publicWebhookUrl is "<public url><fragment>"
    And the gateway is running
    When phone "A" texts "reply exactly <id>"
    Then phone "A" gets the reply "<id>"
    And the Messages.json request had StatusCallback "<public url><callback fragment>"

    Examples:
      | id | fragment | callback fragment |
      | out of range | #rt=99&rc=9 | #rt=5000&rc=1&rp=ct,rt,5xx |
      | retry policy completed | #rp=4xx | #rp=4xx,ct,rt,5xx&rt=5000&rc=1 |
      | all and bounds kept | #rp=all&rt=2000&rc=3 | #rp=all&rt=2000&rc=3 |
      | upper bounds kept | #rt=15000&rc=5&rp=rt | #rt=15000&rc=5&rp=rt,ct,5xx |

  @observed @status_callbacks
  Scenario: A loopback publicWebhookUrl sends no StatusCallback and warns
    Given the channel's publicWebhookUrl is "http://127.0.0.1:9/webhooks/sms"
    And the channel's dangerouslyDisableSignatureValidation is true
    And the gateway is running
    When an unsigned inbound form from phone "A" saying "reply exactly no callback" is posted to the webhook
    Then phone "A" gets the reply "no callback"
    And the Messages.json request had no StatusCallback
    And the gateway warns about "publicWebhookUrl"
    And the gateway warns about "delivery callback"

  @observed @status_callbacks
  Scenario Outline: Twilio is never asked to call back a URL that is not public
    Given the channel's publicWebhookUrl is "<url>"
    And the channel's dangerouslyDisableSignatureValidation is true
    And the gateway is running
    When an unsigned inbound form from phone "A" saying "reply exactly <id>" is posted to the webhook
    Then phone "A" gets the reply "<id>"
    And the Messages.json request had no StatusCallback

    Examples:
      | id | url |
      | credentials in the URL | https://user:pw@gateway.example.test/webhooks/sms |
      | single-label host | https://gateway/webhooks/sms |
      | local host name | https://gateway.local/webhooks/sms |
      | private address | http://10.1.2.3/webhooks/sms |
      | localhost | https://localhost/webhooks/sms |
      | a localhost subdomain | https://gateway.localhost/webhooks/sms |
      | internal host name | https://gateway.internal/webhooks/sms |
      | loopback IPv6 | http://[::1]/webhooks/sms |
      | link-local address | http://169.254.169.254/webhooks/sms |
      | unspecified address | http://0.0.0.0/webhooks/sms |
      | underscore in the host | https://gate_way.example.test/webhooks/sms |
      | host label starting with a hyphen | https://-gateway.example.test/webhooks/sms |
      | host label of 64 characters | https://<64 x a>.example.test/webhooks/sms |
      | host name of 254 characters | https://<63 x a>.<63 x b>.<63 x c>.<57 x d>.test/webhooks/sms |
      | malformed percent escape | https://gateway.example.test/webhooks/%zz |
      | space in the path | https://gateway.example.test/web hooks/sms |
      | brace in the path | https://gateway.example.test/webhooks/{sms} |
      | not http | ftp://gateway.example.test/webhooks/sms |
      | callback over 4000 characters | https://gateway.example.test/<3950 x a> |

  @observed @status_callbacks
  Scenario Outline: Twilio is asked to call back a public URL at the edge of the rules
    Given the channel's publicWebhookUrl is "<url>"
    And the channel's dangerouslyDisableSignatureValidation is true
    And the gateway is running
    When an unsigned inbound form from phone "A" saying "reply exactly <id>" is posted to the webhook
    Then phone "A" gets the reply "<id>"
    And the Messages.json request had StatusCallback "<url>#rp=ct,rt,5xx&rt=5000&rc=1"

    Examples:
      | id | url |
      | host name of 253 characters | https://<63 x a>.<63 x b>.<63 x c>.<56 x d>.test/webhooks/sms |
      | every character a path may hold | https://gateway.example.test/webhooks/sms!$&'()*+,;=:@~._-%20 |
      | callback of exactly 4000 characters | https://gateway.example.test/<3945 x a> |
      | public IPv6 address | https://[2606:4700:4700::1111]/webhooks/sms |
      | plain http | http://gateway.example.test/webhooks/sms |

  @observed
  Scenario: A reply whose second chunk Twilio refuses: the first chunk arrives once, and nothing is sent again
    Given the channel's textChunkLimit is 20
    And Twilio refuses every Messages.json request whose Body holds "second" with 400
    And the gateway is running
    When phone "A" texts "reply exactly first part here. second part here."
    Then phone "A" gets the messages ["first part here. "]
    And the gateway made 2 Messages.json requests to phone "A"

  @observed @plain_text_retry
  Scenario: A reply Twilio refuses is sent once more as plain text, and only once
    Given the gateway is running
    And Twilio refuses the next 1 Messages.json request with 400
    When phone "A" texts "reply exactly try again"
    Then phone "A" gets the messages ["(Response formatting failed, plain text:)\n\ntry again"]
    And the gateway made 2 Messages.json requests to phone "A"

  @observed @plain_text_retry
  Scenario: A reply Twilio refuses twice is given up, with no third request
    Given the gateway is running
    And Twilio refuses the next 2 Messages.json requests with 400
    When phone "A" texts "reply exactly not again"
    Then the gateway made 2 Messages.json requests to phone "A"
    And phone "A" gets no reply
