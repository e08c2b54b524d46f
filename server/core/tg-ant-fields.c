/* Ant Media's names that Tollgate accepts in request bodies and ignores:
 * the fields of its Broadcast object and of its AppSettings (Ant Media
 * Server's io.antmedia.datastore.db.types.Broadcast and
 * io.antmedia.AppSettings) that Tollgate does not implement. The README
 * lists them; tests/unit/test-ant-fields.c checks that it does. Sorted
 * (bsearch, strcmp order). */
#include "tg-ant-fields.h"

#include <stdlib.h>
#include <string.h>

static const char *const broadcast_fields[] = {
  "absoluteStartTimeMs",
  "altitude",
  "autoStartStopEnabled",
  "category",
  "currentPlayIndex",
  "dashViewerLimit",
  "dropFrameCountInEncoding",
  "dropPacketCountInIngestion",
  "encoderQueueSize",
  "encoderSettingsList",
  "endPointList",
  "expireDurationMS",
  "hlsParameters",
  "hlsViewerLimit",
  "ipAddr",
  "is360",
  "jitterMs",
  "latitude",
  "listenerHookURL",
  "longitude",
  "mainTrackStreamId",
  "maxIdleTime",
  "metaData",
  "mp4Enabled",
  "originAdress",
  "packetLostRatio",
  "packetsLost",
  "password",
  "pendingPacketSize",
  "plannedEndDate",
  "plannedStartDate",
  "playListItemList",
  "playListStatus",
  "playlistLoopEnabled",
  "publicStream",
  "publish",
  "quality",
  "receivedBytes",
  "role",
  "rttMs",
  "seekTimeInMs",
  "speed",
  "streamUrl",
  "subFolder",
  "subtracksLimit",
  "userAgent",
  "username",
  "virtual",
  "webMEnabled",
  "webRTCViewerLimit",
};

static const char *const settings_fields[] = {
  "aacEncodingEnabled",
  "abrDownScalePacketLostRatio",
  "abrUpScaleJitterMs",
  "abrUpScalePacketLostRatio",
  "abrUpScaleRTTMs",
  "acceptOnlyRoomsInDataStore",
  "addDateTimeToHlsFileName",
  "addDateTimeToMp4FileName",
  "addOriginalMuxerIntoHLSPlaylist",
  "allowedPublisherCIDR",
  "apnKeyId",
  "apnPrivateKey",
  "apnTeamId",
  "apnsServer",
  "appInstallationTime",
  "appName",
  "appStatus",
  "audioBitrateSFU",
  "audioLevelThreshold",
  "av1Enabled",
  "clusterCommunicationKey",
  "contentSecurityPolicyHeaderValue",
  "createPreviewPeriod",
  "customSettings",
  "dashExtraWindowSize",
  "dashFragmentDuration",
  "dashHttpEndpoint",
  "dashHttpStreaming",
  "dashSegDuration",
  "dashWindowSize",
  "dataChannelEnabled",
  "dataChannelPlayerDistribution",
  "dataChannelWebHookURL",
  "disableIPv6Candidates",
  "dropWebRTCIngestIfNoPacketReceived",
  "enableTimeTokenForPlay",
  "enableTimeTokenForPublish",
  "encoderName",
  "encoderParameters",
  "encoderSelectionPreference",
  "encoderSettingsString",
  "encoderThreadCount",
  "encoderThreadType",
  "encodingQueueSize",
  "endpointHealthCheckPeriodMs",
  "endpointRepublishLimit",
  "excessiveBandwidthAlgorithmEnabled",
  "excessiveBandwidthCallThreshold",
  "excessiveBandwidthValue",
  "excessiveBandwithTryCountBeforeSwitchback",
  "fileNameFormat",
  "firebaseAccountKeyJSON",
  "forceAspectRatioInTranscoding",
  "forceDecoding",
  "generatePreview",
  "gopSize",
  "h264Enabled",
  "h265Enabled",
  "hashControlPlayEnabled",
  "hashControlPublishEnabled",
  "heightRtmpForwarding",
  "hlsEnabledViaDash",
  "hlsEncryptionKeyInfoFile",
  "hlsHttpEndpoint",
  "hlsPlayListType",
  "hlsSegmentFileSuffixFormat",
  "hlsSegmentType",
  "hlsflags",
  "httpForwardingBaseURL",
  "httpForwardingExtension",
  "hwDecoderEnabled",
  "hwScalingEnabled",
  "iceGatheringTimeoutMs",
  "id3TagEnabled",
  "ingestingStreamLimit",
  "jwksURL",
  "jwtControlEnabled",
  "jwtSecretKey",
  "lLDashEnabled",
  "lLHLSEnabled",
  "listenerHookURL",
  "maxAnalyzeDurationMS",
  "maxAudioTrackCount",
  "maxBitrateAccept",
  "maxFpsAccept",
  "maxResolutionAccept",
  "maxVideoTrackCount",
  "muxerFinishScript",
  "mySqlClientPath",
  "originEdgeIdleTimeout",
  "packetLossDiffThresholdForSwitchback",
  "participantVisibilityMatrix",
  "playWebRTCStreamOnceForEachSession",
  "portAllocatorFlags",
  "previewFormat",
  "previewHeight",
  "previewOverwrite",
  "previewQuality",
  "pullWarFile",
  "recordingSubfolder",
  "relayRTMPMetaDataToMuxers",
  "replaceCandidateAddrWithServerAddr",
  "restartStreamFetcherPeriod",
  "rtmpIngestBufferTimeMs",
  "rtmpPlaybackEnabled",
  "rtspPullTransportType",
  "rtspTimeoutDurationMs",
  "rttMeasurementDiffThresholdForSwitchback",
  "s3AccessKey",
  "s3BucketName",
  "s3CacheControl",
  "s3Endpoint",
  "s3PathStyleAccessEnabled",
  "s3Permission",
  "s3PreviewsFolderPath",
  "s3RecordingEnabled",
  "s3RegionName",
  "s3SecretKey",
  "s3StorageClass",
  "s3StreamsFolderPath",
  "s3TransferBufferSizeInBytes",
  "secureAnalyticEndpoint",
  "sendAudioLevelToViewers",
  "signalingAddress",
  "signalingEnabled",
  "srtReceiveLatencyInMs",
  "startStreamFetcherAutomatically",
  "statsBasedABREnabled",
  "streamEndedScript",
  "streamFetcherBufferTime",
  "streamIdleTimeoutScript",
  "streamStartedScript",
  "stunServerURI",
  "subFolder",
  "subscriberAuthenticationKey",
  "targetLatency",
  "timeTokenPeriod",
  "timeTokenSecretForPlay",
  "timeTokenSecretForPublish",
  "tokenHashSecret",
  "turnServerCredential",
  "turnServerUsername",
  "updateTime",
  "uploadExtensionsToS3",
  "useOriginalWebRTCEnabled",
  "useTimelineDashMuxing",
  "vodUploadFinishScript",
  "vp8Enabled",
  "vp8EncoderThreadCount",
  "warFileOriginServerAddress",
  "webMMuxingEnabled",
  "webRTCClientStartTimeoutMs",
  "webRTCFrameRate",
  "webRTCKeyframeTime",
  "webRTCPortRangeMax",
  "webRTCPortRangeMin",
  "webRTCSdpSemantics",
  "webRTCTcpCandidatesEnabled",
  "webRTCViewerLimit",
  "webhookAuthenticateURL",
  "webhookContentType",
  "webhookPlayAuthUrl",
  "webhookRetryCount",
  "webhookRetryDelay",
  "webhookStreamStatusUpdatePeriodMs",
  "writeStatsToDatastore",
  "writeSubscriberEventsToDatastore",
};

static int
compare (const void *key, const void *element)
{
  return strcmp (key, *(const char *const *) element);
}

static gboolean
listed (const char *const *names, gsize count, const char *name)
{
  return bsearch (name, names, count, sizeof *names, compare) != NULL;
}

gboolean
tg_ant_ignored_broadcast_field (const char *name)
{
  return listed (broadcast_fields, G_N_ELEMENTS (broadcast_fields), name);
}

gboolean
tg_ant_ignored_setting (const char *name)
{
  return listed (settings_fields, G_N_ELEMENTS (settings_fields), name);
}

const char *const *
tg_ant_ignored_names (gboolean settings, gsize *count)
{
  *count = settings ? G_N_ELEMENTS (settings_fields)
                    : G_N_ELEMENTS (broadcast_fields);
  return settings ? settings_fields : broadcast_fields;
}

void
tg_ant_drop_ignored (JsonObject *object, gboolean (*ignored) (const char *))
{
  g_autoptr (GList) names = json_object_get_members (object);

  for (GList *l = names; l; l = l->next)
    if (ignored (l->data))
      json_object_remove_member (object, l->data);
}
