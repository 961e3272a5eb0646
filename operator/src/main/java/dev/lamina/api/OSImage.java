package dev.lamina.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** An operating-system image assembled from Layers into a kernel, initrd and root filesystem. */
@Group(Lamina.GROUP)
@Version(Lamina.VERSION)
@ShortNames("osi")
@Categories(Lamina.CATEGORY)
@AdditionalPrinterColumn(
    name = "Phase",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING)
// From status: a column on .spec.architectures prints JSON, and one on [*] only the first.
@AdditionalPrinterColumn(
    name = "Architectures",
    jsonPath = ".status.architectureList",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Digest",
    jsonPath = ".status.digest",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Policy",
    jsonPath = ".status.policy.verdict",
    type = AdditionalPrinterColumn.Type.STRING)
// Why it is not Ready (or that it is), with kubectl get -o wide.
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Message",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].message",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class OSImage extends CustomResource<OSImageSpec, OSImageStatus> implements Namespaced {}
