package dev.lamina.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Cluster-wide rules that Layers and OSImages are checked against before anything is built. */
@Group(Lamina.GROUP)
@Version(Lamina.VERSION)
@ShortNames("ipol")
@Categories(Lamina.CATEGORY)
@AdditionalPrinterColumn(
    name = "Rules",
    jsonPath = ".status.ruleCount",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class ImagePolicy extends CustomResource<ImagePolicySpec, ImagePolicyStatus> {}
