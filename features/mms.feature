@mms
Feature: MMS: pictures and files in and out
  Twilio hands a gateway an MMS as Media URLs on api.twilio.com. The file behind each one needs
  the account's credentials and is answered with a redirect to a short-lived link on
  mms.twiliocdn.com (Twilio's documentation). The plugin fetches at most 10 files and 5 MiB in all, and
  tells the agent how many it could not have: "[N Twilio MMS attachment(s) unavailable]". Out,
  the operator's file is re-hosted on the public webhook URL under a one-time token, and
  Twilio fetches it from there (the plugin's code). The guide says nothing of MMS.
  Specification: docs/specification.md#mms

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the gateway is running

  Scenario: A picture from a phone is downloaded through Twilio's CDN redirect and reaches the agent
    When phone "A" sends the files [{"content_type": "image/png", "size": 2048}] with the text "reply exactly got the picture"
    Then phone "A" gets the reply "got the picture"
    And the gateway requested 1 of that message's files from Twilio with the account's credentials
    And the gateway downloaded 1 file through Twilio's CDN
    And the agent was given the files ["image/png"] and the text "reply exactly got the picture"

  @observed
  Scenario Outline: The agent is given the files Twilio serves, and a count of those it could not have
    Given Twilio serves media files without redirecting to its CDN
    When phone "A" sends the files <files> with the text "reply exactly <id>"
    Then phone "A" gets the reply "<id>"
    And the gateway requested <requested> of that message's files from Twilio with the account's credentials
    And the agent was given the files <given> and the text <text>

    Examples:
      | id | files | requested | given | text |
      | one picture | [{"content_type": "image/png", "size": 2048}] | 1 | ["image/png"] | "reply exactly one picture" |
      | three kinds | [{"content_type": "image/jpeg", "size": 5000}, {"content_type": "application/pdf", "size": 3000}, {"content_type": "text/plain", "size": 200}] | 3 | ["image/jpeg", "application/pdf", "text/plain"] | "reply exactly three kinds" |
      | over 5 MiB in all | [{"content_type": "image/jpeg", "size": 4000000}, {"content_type": "image/png", "size": 3000000}] | 2 | ["image/jpeg"] | "reply exactly over 5 MiB in all\n\n[1 Twilio MMS attachment unavailable]" |
      | exactly 5 MiB in all | [{"content_type": "image/jpeg", "size": 4194304}, {"content_type": "image/png", "size": 1048576}, {"content_type": "image/gif", "size": 100}] | 2 | ["image/jpeg", "image/png"] | "reply exactly exactly 5 MiB in all\n\n[1 Twilio MMS attachment unavailable]" |
      | one byte past 5 MiB | [{"content_type": "image/jpeg", "size": 4194304}, {"content_type": "image/png", "size": 1048577}] | 2 | ["image/jpeg"] | "reply exactly one byte past 5 MiB\n\n[1 Twilio MMS attachment unavailable]" |

  @observed
  Scenario Outline: Twilio's redirect to its CDN is followed whatever its status
    Given Twilio redirects media files to its CDN with <status>
    When phone "A" sends the files [{"content_type": "image/png", "size": 2048}] with the text "reply exactly redirected <status>"
    Then phone "A" gets the reply "redirected <status>"
    And the gateway downloaded 1 file through Twilio's CDN
    And the agent was given the files ["image/png"] and the text "reply exactly redirected <status>"

    Examples:
      | status |
      | 301 |
      | 302 |
      | 303 |
      | 308 |

  @observed
  Scenario: A file Twilio fails to serve once is asked for again, once, and reaches the agent
    Given Twilio serves media files without redirecting to its CDN
    And Twilio answers the first request for a media file with 500
    When phone "A" sends the files [{"content_type": "image/png", "size": 2048}] with the text "reply exactly second try"
    Then phone "A" gets the reply "second try"
    And the gateway requested that message's file from Twilio 2 times with the account's credentials
    And the agent was given the files ["image/png"] and the text "reply exactly second try"

  @observed
  Scenario: A file Twilio will not serve reaches the agent as a note, not a file
    Given Twilio serves media files without redirecting to its CDN
    And Twilio answers requests for media files with 404
    When phone "A" sends the files [{"content_type": "image/png", "size": 2048}, {"content_type": "image/gif", "size": 500}] with the text "reply exactly none came"
    Then phone "A" gets the reply "none came"
    And the gateway requested 2 of that message's files from Twilio with the account's credentials
    And the agent was given the files [] and the text "reply exactly none came\n\n[2 Twilio MMS attachments unavailable]"

  @observed
  Scenario: An RCS message's files are dropped; its text reaches the agent
    When a signed RCS form from phone "A" saying "reply exactly text only" with one picture is posted to the webhook
    Then the gateway answers 200 with body "<Response></Response>"
    And the gateway requested 0 of that message's files from Twilio with the account's credentials
    And the agent was given the files [] and the text "reply exactly text only"

  @observed
  Scenario Outline: A Media URL anywhere but https://api.twilio.com is not fetched, even on Twilio's CDN
    When a signed MMS form from phone "A" saying "reply exactly <id>" with its Media URL on "<origin>" is posted to the webhook
    Then phone "A" gets the reply "<id>"
    And the gateway requested 0 of that message's files from Twilio with the account's credentials
    And the agent was given the files [] and the text "reply exactly <id>\n\n[1 Twilio MMS attachment unavailable]"

    Examples:
      | id | origin |
      | Twilio's CDN | https://mms.twiliocdn.com |
      | plain http | http://api.twilio.com |
      | another port | https://api.twilio.com:8443 |

  @observed
  Scenario: The operator sends a picture with a caption: one MMS, its file fetched from the public webhook URL
    When the operator sends "look at this" with the file {"content_type": "image/png", "size": 40000} to "<phone A>"
    Then the command succeeds
    And phone "A" gets the message "look at this" with the file {"content_type": "image/png", "size": 40000}

  @observed
  Scenario: The hosted file goes only to its own URL: whole to GET, its headers to HEAD, refused to any other request
    When the operator sends "look at this" with the file {"content_type": "image/png", "size": 40000} to "<phone A>"
    Then phone "A" gets the message "look at this" with the file {"content_type": "image/png", "size": 40000}
    When the hosted file is requested with GET
    Then the gateway answers 200 with the file, inline as "mms-<id>.png"
    When the hosted file is requested with HEAD
    Then the gateway answers 200 with the file's headers but no body, inline as "mms-<id>.png"
    When the hosted file is requested with POST
    Then the gateway answers 405 with body "Method Not Allowed"
    And the answer carries the header "Allow: GET, HEAD"
    When the hosted file is requested with a wrong token
    Then the gateway answers 401 with body "Unauthorized"
    When the hosted file is requested for another file's id
    Then the gateway answers 404 with body "Not Found"
    When the hosted file is requested with two tokens
    Then the gateway answers 400 with body "Bad Request"
    And the gateway logs no failed request

  @observed
  Scenario: A voice recording goes as one MMS, its file named for its type
    When the operator sends "listen" with the file {"content_type": "audio/ogg", "size": 30000} to "<phone A>"
    Then phone "A" gets the message "listen" with the file {"content_type": "audio/ogg", "size": 30000}
    When Twilio fetches that message's file again
    Then the gateway answers 200 with the file, inline as "mms-<id>.ogg"

  @observed
  Scenario: A document over 500,000 bytes is refused before anything is sent
    When the operator sends "the report" with the file {"content_type": "application/pdf", "size": 600000} to "<phone A>"
    Then the command fails mentioning "exceeds the 500,000 byte limit for application/pdf"
    And no Messages.json request was made

  @observed
  Scenario: A file of a type Twilio MMS cannot carry is refused before anything is sent
    When the operator sends "the recording" with the file {"content_type": "audio/wav", "size": 2000} to "<phone A>"
    Then the command fails mentioning "Twilio MMS does not support media type audio/wav"
    And no Messages.json request was made

  @observed
  Scenario: A picture and its caption of 4,999,999 bytes together are sent
    When the operator sends "look at this" with the file {"content_type": "image/gif", "size": 4999987} to "<phone A>"
    Then the command succeeds
    And phone "A" gets the message "look at this" with the file {"content_type": "image/gif", "size": 4999987}

  @observed
  Scenario: A picture and its caption of 5,000,000 bytes together are refused before anything is sent
    When the operator sends "look at this" with the file {"content_type": "image/gif", "size": 4999988} to "<phone A>"
    Then the command fails mentioning "SMS media preparation failed before Twilio dispatch: GIF exceeds 4.77MB limit (got 4.77MB)"
    And no Messages.json request was made

  @observed
  Scenario Outline: A path that is not a readable file is refused before anything is sent
    When the operator sends "the report" with <path> as the file to "<phone A>"
    Then the command fails mentioning "<says>"
    And no Messages.json request was made

    Examples:
      | path | says |
      | a file that does not exist | FsSafeError: file not found |
      | a folder | FsSafeError: not a file |

  @observed
  Scenario: The file's link serves Twilio for ten minutes on the gateway's clock, then answers 404
    When the operator sends "look at this" with the file {"content_type": "image/png", "size": 40000} to "<phone A>"
    Then phone "A" gets the message "look at this" with the file {"content_type": "image/png", "size": 40000}
    When 9 minutes pass on the gateway's clock
    And Twilio fetches that message's file again
    Then the gateway answers 200 with the file, inline as "mms-<id>.png"
    When 2 minutes pass on the gateway's clock
    And Twilio fetches that message's file again
    Then the gateway answers 404 with body "Not Found"
