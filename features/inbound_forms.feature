@webhook @inbound_forms
Feature: Which inbound forms reach the agent
  The plugin answers every validly signed message form 200 and decides afterwards whether
  to dispatch it (the plugin's code): the sender must be a number (any spelling the plugin
  normalises, or rcs:+number; any other "xxx:" address is not an SMS sender), the form must
  be for the account's AccountSid and To its number, carry a body or media, and a NumMedia
  that is a whole number. "Answered 200" is never the whole story: each example says
  whether an agent turn ran and what the phone got.
  Specification: docs/specification.md#inbound-forms

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the gateway is running

  @observed
  Scenario Outline: A form the plugin cannot use is answered 200 and never dispatched
    When a signed inbound form from phone "A" saying "reply exactly <id>" with <field> set to <value> is posted to the webhook
    Then the gateway answers 200 with body "<Response></Response>"
    And the answer carries the header "x-openclaw-delivery-accepted: durable"
    And no agent turn has run
    And phone "A" gets no reply

    Examples:
      | id | field | value |
      | sms prefix | From | "sms:<phone A>" |
      | twilio-sms prefix | From | "twilio-sms:<phone A>" |
      | whatsapp address | From | "whatsapp:<phone A>" |
      | too short | From | "+1555" |
      | foreign AccountSid | AccountSid | "AC00000000000000000000000000000000" |
      | foreign AccountSid sorting after ours | AccountSid | "ACffffffffffffffffffffffffffffffff" |
      | no AccountSid | AccountSid | null |
      | not our number | To | "+15550000000" |
      | no To | To | null |
      | empty body | Body | "" |
      | NumMedia not a number | NumMedia | "abc" |
      | negative NumMedia | NumMedia | "-1" |
      | fractional NumMedia | NumMedia | "1.5" |
      | NumMedia past JavaScript's safe integers | NumMedia | "9007199254740992" |

  @observed
  Scenario: A Messaging Service account drops a form for another MessagingServiceSid
    Given a Messaging Service "pool" whose sender pool holds the number
    And the channel uses messagingServiceSid "<service pool>" instead of fromNumber
    When a signed inbound form from phone "A" saying "reply exactly pool" with MessagingServiceSid set to "<service pool>" is posted to the webhook
    Then phone "A" gets the reply "pool"
    When a signed inbound form from phone "A" saying "reply exactly other pool" with MessagingServiceSid set to "MG00000000000000000000000000000000" is posted to the webhook
    Then the gateway answers 200 with body "<Response></Response>"
    And phone "A" gets no reply containing "other pool"

  @observed
  Scenario: A form that repeats a key, signed over every value, is refused: the plugin signs the first value only
    When a signed inbound form from phone "A" with a second Body "again" is posted to the webhook
    Then the gateway answers 403 with body "Invalid signature" as XML
    And no agent turn has run

  @observed
  Scenario Outline: Spellings the plugin normalises reach the agent, and the reply goes to the number
    When a signed inbound form from phone "A" saying "reply exactly <id>" with <field> set to <value> is posted to the webhook
    Then the gateway answers 200 with body "<Response></Response>"
    And phone "A" gets the reply "<id>"

    Examples:
      | id | field | value |
      | sender without plus | From | "<phone A digits>" |
      | rcs sender | From | "rcs:<phone A>" |
      | sender with spaces around | From | "  <phone A>  " |
      | NumMedia empty | NumMedia | "" |
      | rcs prefix in capitals | From | "RCS:<phone A>" |

  @observed
  Scenario: An empty pair in a form is skipped and the keys after it are read
    When a signed inbound form from phone "A" saying "reply exactly read whole" with an empty pair before its Body is posted to the webhook
    Then the gateway answers 200 with body "<Response></Response>"
    And phone "A" gets the reply "read whole"

  @observed @mms
  Scenario: The largest NumMedia JavaScript counts exactly reaches the agent as a note of files it could not have
    When a signed inbound form from phone "A" saying "reply exactly counted" with NumMedia set to "9007199254740991" is posted to the webhook
    Then phone "A" gets the reply "counted"
    And the agent was given the files [] and the text "reply exactly counted\n\n[9007199254740991 Twilio MMS attachments unavailable]"
