// /openapi/v2 as gnostic's openapi.v2.Document protobuf: decoded back with protobufjs from the
// message definitions (field numbers of github.com/google/gnostic-models openapiv2/OpenAPIv2.proto,
// the messages this document uses) and compared with the JSON document it was made from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { parse as parseYaml } from 'yaml';
import { OpenApiDocuments } from '../../../cluster/apiserver/openapi/documents.js';
import { kubernetesSpec } from '../../../cluster/apiserver/openapi/vendored-spec.js';
import {
  acceptsOpenApiV2Protobuf,
  openApiV2Protobuf,
  OPENAPI_V2_PROTOBUF,
} from '../../../cluster/apiserver/openapi/v2-protobuf.js';

const PROTO = `
syntax = "proto3";
package openapi.v2;
message AdditionalPropertiesItem { oneof oneof { Schema schema = 1; bool boolean = 2; } }
message Any { string yaml = 2; }
message ApiKeySecurity { string type = 1; string name = 2; string in = 3; string description = 4; }
message BodyParameter { string description = 1; string name = 2; string in = 3; bool required = 4; Schema schema = 5; }
message Definitions { repeated NamedSchema additional_properties = 1; }
message Document {
  string swagger = 1; Info info = 2; Paths paths = 8; Definitions definitions = 9;
  ParameterDefinitions parameters = 10; repeated SecurityRequirement security = 12;
  SecurityDefinitions security_definitions = 13;
}
message Info { string title = 1; string version = 2; }
message ItemsItem { repeated Schema schema = 1; }
message JsonReference { string _ref = 1; string description = 2; }
message NamedAny { string name = 1; Any value = 2; }
message NamedParameter { string name = 1; Parameter value = 2; }
message NamedPathItem { string name = 1; PathItem value = 2; }
message NamedResponseValue { string name = 1; ResponseValue value = 2; }
message NamedSchema { string name = 1; Schema value = 2; }
message NamedSecurityDefinitionsItem { string name = 1; SecurityDefinitionsItem value = 2; }
message NamedStringArray { string name = 1; StringArray value = 2; }
message NonBodyParameter {
  oneof oneof {
    HeaderParameterSubSchema header_parameter_sub_schema = 1;
    FormDataParameterSubSchema form_data_parameter_sub_schema = 2;
    QueryParameterSubSchema query_parameter_sub_schema = 3;
    PathParameterSubSchema path_parameter_sub_schema = 4;
  }
}
message HeaderParameterSubSchema { bool required = 1; string in = 2; string description = 3; string name = 4; string type = 5; }
message FormDataParameterSubSchema { bool required = 1; string in = 2; string description = 3; string name = 4; string type = 6; }
message Operation {
  repeated string tags = 1; string description = 3; string operation_id = 5; repeated string produces = 6;
  repeated string consumes = 7; repeated ParametersItem parameters = 8; Responses responses = 9;
  repeated string schemes = 10; repeated NamedAny vendor_extension = 13;
}
message Parameter { oneof oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } }
message ParameterDefinitions { repeated NamedParameter additional_properties = 1; }
message ParametersItem { oneof oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }
message PathItem {
  string _ref = 1; Operation get = 2; Operation put = 3; Operation post = 4; Operation delete = 5;
  Operation options = 6; Operation head = 7; Operation patch = 8; repeated ParametersItem parameters = 9;
}
message PathParameterSubSchema { bool required = 1; string in = 2; string description = 3; string name = 4; string type = 5; }
message Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }
message Properties { repeated NamedSchema additional_properties = 1; }
message QueryParameterSubSchema {
  bool required = 1; string in = 2; string description = 3; string name = 4; bool allow_empty_value = 5;
  string type = 6; bool unique_items = 20;
}
message Response { string description = 1; SchemaItem schema = 2; }
message ResponseValue { oneof oneof { Response response = 1; JsonReference json_reference = 2; } }
message Responses { repeated NamedResponseValue response_code = 1; }
message Schema {
  string _ref = 1; string format = 2; string description = 4; Any default = 5; double maximum = 7;
  double minimum = 9; int64 max_length = 11; repeated string required = 19; repeated Any enum = 20;
  AdditionalPropertiesItem additional_properties = 21; TypeItem type = 22; ItemsItem items = 23;
  repeated Schema all_of = 24; Properties properties = 25; Any example = 30; repeated NamedAny vendor_extension = 31;
}
message SchemaItem { oneof oneof { Schema schema = 1; } }
message SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; }
message SecurityDefinitionsItem { oneof oneof { ApiKeySecurity api_key_security = 2; } }
message SecurityRequirement { repeated NamedStringArray additional_properties = 1; }
message StringArray { repeated string value = 1; }
message TypeItem { repeated string value = 1; }
`;

const Document = protobuf.parse(PROTO, { keepCase: true }).root.lookupType('openapi.v2.Document');
const decode = (b: Buffer): any => Document.toObject(Document.decode(b), { longs: Number, oneofs: true });
const byName = (xs: any[] | undefined, name: string): any => xs?.find((x) => x.name === name);

test('the vendored Kubernetes spec decodes back to the same paths, definitions and refs', () => {
  const spec = kubernetesSpec() as any;
  const doc = decode(openApiV2Protobuf(spec));
  assert.equal(doc.swagger, '2.0');
  assert.deepEqual([doc.info.title, doc.info.version], [spec.info.title, spec.info.version]);

  assert.deepEqual(
    doc.paths.path.map((p: any) => p.name),
    Object.keys(spec.paths),
    'every path, in document order',
  );
  assert.deepEqual(
    doc.definitions.additional_properties.map((d: any) => d.name),
    Object.keys(spec.definitions),
  );

  const pod = byName(doc.definitions.additional_properties, 'io.k8s.api.core.v1.Pod')!.value;
  const podJson = spec.definitions['io.k8s.api.core.v1.Pod'];
  assert.equal(pod.description, podJson.description);
  assert.deepEqual(pod.type.value, ['object']);
  assert.deepEqual(
    pod.properties.additional_properties.map((p: any) => p.name),
    Object.keys(podJson.properties),
  );
  const podSpec = byName(pod.properties.additional_properties, 'spec')!.value;
  assert.equal(podSpec._ref, podJson.properties.spec.$ref);
  assert.equal(podSpec._ref, '#/definitions/io.k8s.api.core.v1.PodSpec');
  const gvk = byName(pod.vendor_extension, 'x-kubernetes-group-version-kind')!.value;
  assert.deepEqual(parseYaml(gvk.yaml), podJson['x-kubernetes-group-version-kind']);

  const container = byName(doc.definitions.additional_properties, 'io.k8s.api.core.v1.Container')!.value;
  const ports = byName(container.properties.additional_properties, 'ports')!.value;
  assert.deepEqual(ports.type.value, ['array']);
  assert.equal(ports.items.schema[0]._ref, '#/definitions/io.k8s.api.core.v1.ContainerPort');
  assert.deepEqual(parseYaml(byName(ports.vendor_extension, 'x-kubernetes-list-map-keys')!.value.yaml), [
    'containerPort',
    'protocol',
  ]);
  assert.deepEqual(container.required, ['name']);

  const cm = byName(doc.definitions.additional_properties, 'io.k8s.api.core.v1.ConfigMap')!.value;
  const data = byName(cm.properties.additional_properties, 'data')!.value;
  assert.deepEqual(data.additional_properties.schema.type.value, ['string']);

  const item = byName(doc.paths.path, '/api/v1/namespaces/{namespace}/pods/{name}')!.value;
  const itemJson = spec.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
  assert.equal(item.get.operation_id, itemJson.get.operationId);
  assert.deepEqual(item.patch.consumes, itemJson.patch.consumes);
  assert.equal(item.parameters.length, itemJson.parameters.length);
  assert.deepEqual(
    item.parameters.map((p: any) => p._ref ?? p.json_reference?._ref ?? p.parameter?.non_body_parameter?.oneof),
    itemJson.parameters.map((p: any) =>
      p.$ref ? p.$ref : p.in === 'path' ? 'path_parameter_sub_schema' : 'query_parameter_sub_schema',
    ),
  );
  const ok = byName(item.get.responses.response_code, '200')!.value.response;
  assert.equal(ok.schema.schema._ref, '#/definitions/io.k8s.api.core.v1.Pod');
  const body = item.put.parameters.find((p: any) => p.parameter?.body_parameter)?.parameter.body_parameter;
  assert.equal(body.schema._ref, '#/definitions/io.k8s.api.core.v1.Pod');
  assert.equal(body.required, true);
  const gvkOp = byName(item.get.vendor_extension, 'x-kubernetes-action')!.value;
  assert.equal(parseYaml(gvkOp.yaml), 'get');

  const shared = doc.parameters.additional_properties;
  assert.deepEqual(
    shared.map((p: any) => p.name),
    Object.keys(spec.parameters),
  );
  for (const { name, value } of shared) {
    const json = spec.parameters[name];
    const sub = json.in === 'body' ? value.body_parameter : value.non_body_parameter[`${json.in}_parameter_sub_schema`];
    assert.deepEqual([sub.name, sub.in, sub.required ?? false], [json.name, json.in, json.required ?? false], name);
    if (json.in === 'query') assert.equal(sub.unique_items ?? false, json.uniqueItems ?? false, name);
  }

  assert.equal(
    byName(doc.security_definitions.additional_properties, 'BearerToken')!.value.api_key_security.in,
    'header',
  );
  assert.deepEqual(doc.security[0].additional_properties, [{ name: 'BearerToken', value: {} }]);
});

test('oneof cases, values as YAML, and what proto3 leaves out', () => {
  const doc = decode(
    openApiV2Protobuf({
      swagger: '2.0',
      info: { title: 't', version: 'v' },
      paths: {},
      definitions: {
        X: {
          type: ['string', 'null'],
          enum: ['a', 'b'],
          default: 'a',
          example: { k: [1, 2] },
          maximum: 2.5,
          minimum: 0,
          maxLength: 9,
          additionalProperties: false,
          allOf: [{ $ref: '#/definitions/Y' }],
          items: [{ type: 'integer' }, { type: 'string' }],
          nullable: true,
        },
        Y: { additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true },
      },
    }),
  );
  const [x, y] = doc.definitions.additional_properties.map((d: any) => d.value);
  assert.deepEqual(x.type.value, ['string', 'null']);
  assert.deepEqual(
    x.enum.map((e: any) => parseYaml(e.yaml)),
    ['a', 'b'],
  );
  assert.equal(parseYaml(x.default.yaml), 'a');
  assert.deepEqual(parseYaml(x.example.yaml), { k: [1, 2] });
  assert.equal(x.maximum, 2.5);
  assert.equal(x.minimum, undefined, 'zero is proto3 default');
  assert.equal(x.max_length, 9);
  assert.deepEqual(x.additional_properties, { boolean: false, oneof: 'boolean' }, 'false is still set');
  assert.equal(x.all_of[0]._ref, '#/definitions/Y');
  assert.deepEqual(
    x.items.schema.map((s: any) => s.type.value[0]),
    ['integer', 'string'],
  );
  assert.deepEqual(y.additional_properties, { boolean: true, oneof: 'boolean' });
  assert.equal(parseYaml(y.vendor_extension[0].value.yaml), true);
});

test('served once per generation, and only for the protobuf Accept', async () => {
  const spec = kubernetesSpec();
  const docs = new OpenApiDocuments(
    [
      {
        generation: 0,
        fragments: () => [{ group: '', version: 'v1', paths: spec.paths, definitions: spec.definitions }],
      },
    ],
    { title: 'Kubernetes', version: 'v1.32.0' },
  );
  const pb = docs.v2Protobuf();
  assert.equal(pb.contentType, OPENAPI_V2_PROTOBUF);
  assert.equal(docs.v2Protobuf(), pb, 'cached');
  assert.notEqual(pb.hash, docs.v2().hash);
  assert.deepEqual(pb.body, openApiV2Protobuf(JSON.parse(docs.v2().body.toString('utf8'))));
  assert.equal(decode(pb.body).paths.path.length, Object.keys(spec.paths).length);

  assert.equal(acceptsOpenApiV2Protobuf('application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), true);
  assert.equal(acceptsOpenApiV2Protobuf(`${OPENAPI_V2_PROTOBUF}; q=0.9, application/json`), true);
  assert.equal(acceptsOpenApiV2Protobuf(`application/json, ${OPENAPI_V2_PROTOBUF}`), false);
  assert.equal(acceptsOpenApiV2Protobuf('application/json'), false);
  assert.equal(acceptsOpenApiV2Protobuf(undefined), false);
});
